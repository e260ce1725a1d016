#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from a system call, naming the call, the path and the errno.
public struct SystemCallError: Error, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `rename`.
    public var call: String
    /// The path (or paths, `a → b`) it acted on.
    public var path: String
    /// The errno value.
    public var errno: Int32

    public var description: String {
        "\(call)(\(path)) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Thin errno-checked wrappers over the POSIX calls the spool needs.
///
/// Each reads `errno` at once, retries on `EINTR`, and throws `SystemCallError` naming the call and path.
public enum SystemCall {
    @inline(never)
    static func check(_ call: String, _ path: @autoclosure () -> String, _ body: () -> Int32) throws -> Int32 {
        while true {
            let r = body()
            if r >= 0 { return r }
            let e = Glibc.errno
            if e == EINTR { continue }
            throw SystemCallError(call: call, path: path(), errno: e)
        }
    }

    /// `syncfs(2)` (flush one whole file system), looked up through `dlsym`; nil where absent.
    static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// `open(2)` with `O_CLOEXEC` added.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        try check("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// `close(2)`; EINTR is not retried (Linux closes the fd anyway), other errors are thrown.
    public static func close(_ fd: Int32, path: String) throws {
        if Glibc.close(fd) != 0 {
            let e = Glibc.errno
            if e != EINTR { throw SystemCallError(call: "close", path: path, errno: e) }
        }
    }

    /// Writes all of `bytes`, checking every write count.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                let e = Glibc.errno
                if e == EINTR { continue }
                throw SystemCallError(call: "write", path: path, errno: e)
            }
            if n == 0 { throw SystemCallError(call: "write", path: path, errno: EIO) }
            offset += n
        }
    }

    /// Reads a whole regular file of at most `limit` bytes into memory, never blocking and following no link.
    ///
    /// Opens with `O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC` (a FIFO opens at once instead of waiting for a
    /// writer, a symbolic link is refused), then checks with `fstat` what was opened: anything but a
    /// regular file, or a file larger than `limit`, is a `RefusedFile` naming the path, what was found and
    /// what is allowed. Other failures are `SystemCallError`s (`ENOENT` when the file is gone).
    public static func readFile(_ path: String, limit: Int = Spool.documentSizeLimit) throws -> [UInt8] {
        let fd: Int32
        do {
            fd = try open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        } catch let error as SystemCallError where error.errno == ELOOP || error.errno == ENXIO || error.errno == ENODEV {
            // ELOOP: the last component is a link (O_NOFOLLOW); ENXIO/ENODEV: a socket, or a device without a driver.
            if let st = try? lstat(path), let kind = FileKind(mode: st.st_mode), kind != .regular {
                throw RefusedFile(path: path, problem: .notRegular(kind), limit: limit)
            }
            throw error
        }
        defer { _ = Glibc.close(fd) }
        var st = stat()
        _ = try check("fstat", path) { fstat(fd, &st) }
        let kind = FileKind(mode: st.st_mode) ?? .unknown
        guard kind == .regular else { throw RefusedFile(path: path, problem: .notRegular(kind), limit: limit) }
        let size = Int(st.st_size)
        guard size <= limit else { throw RefusedFile(path: path, problem: .tooLarge(size: size), limit: limit) }
        var buffer = [UInt8](repeating: 0, count: max(size, 0) + 1)
        var total = 0
        while true {
            if total == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: max(4096, buffer.count))) }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if n < 0 {
                let e = Glibc.errno
                if e == EINTR { continue }
                throw SystemCallError(call: "read", path: path, errno: e)
            }
            if n == 0 { break }
            total += n
            // The file grew while it was read.
            if total > limit { throw RefusedFile(path: path, problem: .tooLarge(size: total), limit: limit) }
        }
        buffer.removeSubrange(total...)
        return buffer
    }

    /// `fsync(2)` of an open descriptor.
    public static func fsync(_ fd: Int32, path: String) throws {
        _ = try check("fsync", path) { Glibc.fsync(fd) }
    }

    /// Opens a directory and `fsync`s it, making entries created or removed in it durable.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { _ = Glibc.close(fd) }
        try fsync(fd, path: path)
    }

    /// `rename(2)`: atomically replaces `to` if it exists.
    ///
    /// A failure with `ENOENT` while `from` is gone and `to` exists is taken as done: the reply to a retransmission
    /// of a rename that did succeed (Postfix's `sane_rename`, `NoClobberRename.outcome(of:…)`). Only for a source
    /// no other process renames to the same name (the caller's own temporary file).
    public static func rename(_ from: String, _ to: String) throws {
        try sane(.rename, from, to) { Glibc.rename(from, to) }
    }

    /// `link(2)`: never overwrites. A failure with `EEXIST` while `to` is `from`'s very file is taken as done
    /// (Postfix's `sane_link`).
    public static func link(_ from: String, _ to: String) throws {
        try sane(.link, from, to) { Glibc.link(from, to) }
    }

    /// Runs `body` (a `rename` or `link` of `from` to `to`) again on `EINTR`; throws a failure unless a
    /// retransmitted success would give it (`NoClobberRename.outcome(of:…)` says `.moved`).
    private static func sane(_ call: NoClobberRename.Call, _ from: String, _ to: String, _ body: () -> Int32) throws {
        while body() != 0 {
            let e = Glibc.errno
            if e == EINTR { continue }
            let outcome = NoClobberRename.outcome(of: call, errno: e, source: .of(Array(from.utf8CString)),
                                                  target: .of(Array(to.utf8CString)))
            if outcome == .moved { return }
            throw SystemCallError(call: call == .rename ? "rename" : "link", path: "\(from) → \(to)", errno: e)
        }
    }

    /// `unlink(2)`.
    public static func unlink(_ path: String) throws {
        _ = try check("unlink", path) { Glibc.unlink(path) }
    }

    /// `mkdir -p`: creates the directory and its parents; existing directories are fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        let parent = NSStringPath(path).deletingLastComponent
        if !parent.isEmpty && parent != path { try makeDirectories(parent, mode: mode) }
        if Glibc.mkdir(path, mode) != 0 {
            let e = Glibc.errno
            if e == EEXIST && isDirectory(path) { return }
            throw SystemCallError(call: "mkdir", path: path, errno: e)
        }
    }

    /// `lstat(2)`, or nil when the path does not exist.
    public static func lstat(_ path: String) throws -> stat? {
        var st = stat()
        if Glibc.lstat(path, &st) == 0 { return st }
        let e = Glibc.errno
        if e == ENOENT || e == ENOTDIR { return nil }
        throw SystemCallError(call: "lstat", path: path, errno: e)
    }

    /// Removes `path` and, for a directory, everything under it (symbolic links are removed, never followed).
    /// A missing path is not an error. Files are removed by `removeFile` (`unlink` by default), emptied
    /// directories by `removeEmptyDirectory` (`rmdir` by default); a directory still there afterwards is
    /// an error (`ENOTEMPTY`).
    public static func removeTree(_ path: String, removeFile: (String) -> Void = { _ = Glibc.unlink($0) },
                                  removeEmptyDirectory: (String) -> Void = { _ = Glibc.rmdir($0) }) throws {
        guard let st = try lstat(path) else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            var names: [String] = []
            try forEachEntry(in: path) { name, _ in
                names.append(name)
                return true
            }
            for name in names { try removeTree(path + "/" + name, removeFile: removeFile, removeEmptyDirectory: removeEmptyDirectory) }
            removeEmptyDirectory(path)
            if SystemCall.exists(path) { throw SystemCallError(call: "rmdir", path: path, errno: ENOTEMPTY) }
        } else {
            removeFile(path)
        }
    }

    /// True when `path` is a directory (following no links).
    public static func isDirectory(_ path: String) -> Bool {
        guard let st = try? lstat(path) else { return false }
        return (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// True when something exists at `path` (a dangling link counts).
    public static func exists(_ path: String) -> Bool {
        (try? lstat(path)) != nil
    }

    /// Names in a directory with their kinds, from `readdir` only (no `stat`, no `open`).
    ///
    /// `visit` returns false to stop early. `.` and `..` are skipped. A name that is not valid UTF-8 comes
    /// with its bad bytes replaced (U+FFFD), so it names no file: `forEachRawEntry` gives the bytes.
    public static func forEachEntry(in directory: String, _ visit: (String, EntryKind) throws -> Bool) throws {
        try forEachRawEntry(in: directory) { name, kind in try visit(String(cString: name), kind) }
    }

    /// `forEachEntry` with each name as `readdir` gives it: a NUL-terminated C string, valid during `visit`.
    public static func forEachRawEntry(in directory: String, _ visit: (UnsafePointer<CChar>, EntryKind) throws -> Bool) throws {
        _ = try forEachRawEntry(in: directory, from: nil, visit)
    }

    /// `forEachRawEntry` starting at `position` (a `telldir` cookie from an earlier listing of the same
    /// folder; nil: the start), reading names in `readdir`'s chunks and stopping as soon as `visit` returns false.
    /// - Returns: the cookie of the place after the last entry visited when `visit` stopped the listing, or nil
    ///   when the listing reached the end of the folder.
    static func forEachRawEntry(in directory: String, from position: Int?,
                                _ visit: (UnsafePointer<CChar>, EntryKind) throws -> Bool) throws -> Int? {
        guard let dir = opendir(directory) else {
            throw SystemCallError(call: "opendir", path: directory, errno: Glibc.errno)
        }
        defer { closedir(dir) }
        if let position { seekdir(dir, position) }
        while true {
            Glibc.errno = 0
            guard let entry = readdir(dir) else {
                let e = Glibc.errno
                if e != 0 { throw SystemCallError(call: "readdir", path: directory, errno: e) }
                return nil
            }
            let kind: EntryKind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN): kind = .unknown
            default: kind = .other
            }
            let proceed = try withUnsafePointer(to: entry.pointee.d_name) { pointer in
                try pointer.withMemoryRebound(to: CChar.self, capacity: 256) { name -> Bool in
                    if name[0] == 0x2E && (name[1] == 0 || (name[1] == 0x2E && name[2] == 0)) { return true }  // . and ..
                    return try visit(name, kind)
                }
            }
            if !proceed { return telldir(dir) }
        }
    }

    /// Seconds since the epoch, with sub-second precision.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// What a directory entry is, as `readdir` reports it.
public enum EntryKind: Sendable {
    case file, directory, symlink, other, unknown
}

/// Minimal path helpers (no Foundation in the hot path).
struct NSStringPath {
    let path: String
    init(_ path: String) { self.path = path }
    var deletingLastComponent: String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        if slash == p.startIndex { return "/" }
        return String(p[..<slash])
    }
}

extension String {
    /// The path with its last component removed.
    var deletingLastPathComponentForSpool: String { NSStringPath(self).deletingLastComponent }
}
