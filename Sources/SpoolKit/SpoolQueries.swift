import Glibc

/// What the programs above the substrate may ask of a spool's folders without a system call of their own
/// (`ArchitectureTests`: the stages, the operator tool and the agent never call `SystemCall` or Glibc).
/// Folders are spool-relative, as everywhere in `Spool`.
extension Spool {
    /// True when something named `name` is in `folder` (a dangling link counts; nothing is followed).
    public func contains(_ name: String, in folder: String) -> Bool {
        SystemCall.exists(path(folder) + "/" + name)
    }

    /// True when the spool-relative `relative` is a folder (following no links).
    public func isFolder(_ relative: String) -> Bool {
        SystemCall.isDirectory(path(relative))
    }

    /// Names in `folder` with their kinds, from `readdir` only; `visit` returns false to stop early.
    /// - Throws: `SystemCallError` when the folder cannot be read (a missing folder included).
    public func forEachEntry(in folder: String, _ visit: (String, EntryKind) throws -> Bool) throws {
        try SystemCall.forEachEntry(in: path(folder), visit)
    }

    /// The modification time (seconds since the epoch) of `name` in `folder`, or nil when it is not there.
    public func modificationTime(of name: String, in folder: String) throws -> Double? {
        guard let st = try SystemCall.lstat(path(folder) + "/" + name) else { return nil }
        return Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }

    /// Makes `folder`'s entries durable (`fsync` of the directory), whatever the spool's durability.
    public func syncFolder(_ folder: String) throws {
        try SystemCall.fsyncDirectory(path(folder))
    }

    /// Replaces `name` in `folder` with `bytes`: written under a temporary name in `.tmp/`, then renamed over
    /// the old file, with no sync (for records nobody depends on, like a stage's health: best effort, never
    /// an error). True when the new content is in place.
    @discardableResult
    public func replaceBestEffort(_ name: String, in folder: String, with bytes: [UInt8]) -> Bool {
        try? SystemCall.makeDirectories(path(folder))
        let temp = temporaryDirectory + "/" + Spool.temporaryFileName()
        guard let fd = try? SystemCall.open(temp, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644) else { return false }
        let written = (try? bytes.withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: temp) }) != nil
        _ = Glibc.close(fd)
        if written, (try? SystemCall.rename(temp, path(folder) + "/" + name)) != nil { return true }
        _ = Glibc.unlink(temp)
        return false
    }

    /// Removes the spool-relative folder `relative` and everything under it (links are removed, never
    /// followed); a missing folder is not an error.
    public func removeFolder(_ relative: String) throws {
        try SystemCall.removeTree(path(relative))
    }

    /// Removes the file `name` from `folder` (`unlink`).
    public func removeFile(_ name: String, in folder: String) throws {
        try SystemCall.unlink(path(folder) + "/" + name)
    }
}

extension Spool {
    /// Removes the file `name` from the spool's `.tmp/` (an interrupted write, as `temporaryFiles` lists it).
    public func removeTemporaryFile(_ name: String) throws {
        try SystemCall.unlink(temporaryDirectory + "/" + name)
    }

    /// Reads at most `limit` bytes of the last part of the file at the absolute `path` (a log), without
    /// following a link or blocking; nil when it is missing, not a regular file or unreadable.
    public static func readLog(_ path: String, limit: Int) -> [UInt8]? {
        try? SystemCall.readFile(path, limit: limit)
    }

    /// True when a file exists at the absolute `path` (a dangling link counts; nothing is followed).
    public static func fileExists(_ path: String) -> Bool {
        SystemCall.exists(path)
    }
}

extension NoClobberRename {
    /// Moves the file at `from` to `to` (absolute paths, e.g. on a storage node) without replacing anything,
    /// making `to`'s folder first; a replay that finds `from` gone and `to` present is done. With `durable`,
    /// both folders are synced.
    /// - Throws: `SystemCallError`; `MissingFile` when neither `from` nor `to` exists.
    public static func relocate(_ from: String, to: String, durable: Bool) throws {
        let targetFolder = NSStringPath(to).deletingLastComponent
        try SystemCall.makeDirectories(targetFolder)
        if try rename(from, to) == .sourceMissing && !SystemCall.exists(to) { throw MissingFile(from: from, to: to) }
        if durable {
            try SystemCall.fsyncDirectory(targetFolder)
            try SystemCall.fsyncDirectory(NSStringPath(from).deletingLastComponent)
        }
    }

    /// Neither the file to move nor its target exists.
    public struct MissingFile: Error, CustomStringConvertible {
        /// The file to move.
        public var from: String
        /// Where it was to go.
        public var to: String
        public var description: String { "\(from): file missing; expected it (or \(to)) to exist" }
    }
}

/// The wall clock of the programs: seconds since the epoch, with sub-second precision.
public enum WallClock {
    /// Now.
    public static func now() -> Double { SystemCall.now() }
}
