#if canImport(Glibc)
import Glibc
#endif

/// A group of spool changes made durable together (group commit).
///
/// New content is written to `.tmp/` at once but becomes visible only at `commit()`: then every
/// staged file is synced (one `syncfs` for a batch, `fsync` for a single file), renamed into place,
/// and each touched directory is synced once. Moves happen at once (they are single renames) and
/// their directories are synced at commit. A crash before commit leaves at most temporary files,
/// which `purgeTemporaryFiles` removes after a day.
public final class SpoolBatch {
    /// The spool the batch changes.
    public let spool: Spool

    private struct Staged {
        var temporaryPath: String
        var directory: String
        var name: String
        /// True for a replacement of an existing document's content (plain rename over it).
        var replaces: Bool
        /// Further names (directory and name) the same document gets as hard links (one inode, several names).
        var linkedAs: [(directory: String, name: String)] = []
        /// True for a removal of the document (no new content).
        var discards = false
    }

    private var staged: [Staged] = []
    private var externalFiles: [String] = []
    private var sharedTemporaries: [String] = []
    private var touchedDirectories: Set<String> = []
    private var committed = false

    /// A staged publish whose name was already taken at commit.
    public struct Conflict: Sendable, Equatable {
        /// Spool-relative directory.
        public var directory: String
        /// The name that was taken.
        public var name: String
        /// Spool-relative path where the new content was quarantined.
        public var quarantinedAs: String
    }

    /// What a commit did.
    public struct CommitReport: Sendable {
        /// Documents made visible (publishes and replacements).
        public var published: Int
        /// Publishes that found their name taken (their content is quarantined, never dropped).
        public var conflicts: [Conflict]
        /// Replacements whose document had moved away before commit (nothing was written for them).
        public var vanished: [String]
        /// Directories synced.
        public var directoriesSynced: Int
    }

    /// Makes an empty batch.
    public init(spool: Spool) {
        self.spool = spool
    }

    /// Number of staged content changes not yet committed.
    public var pendingCount: Int { staged.count }

    /// Stages new content to appear as `name` in `directory` at commit; never replaces a document.
    public func publish(_ bytes: [UInt8], as name: String, in directory: String) throws {
        let temp = try writeTemporary(bytes, hint: name)
        staged.append(Staged(temporaryPath: temp, directory: directory, name: name, replaces: false))
    }

    /// Stages the same new content as `name` in each of `directories` (never replacing a document):
    /// one file, hard-linked into the other directories at commit, so N copies cost one inode.
    ///
    /// Documents published this way must never be edited in place (a replacement gives the replaced
    /// name a new inode; the other names keep the old content, as separate documents would).
    public func publish(_ bytes: [UInt8], as name: String, inEach directories: [String]) throws {
        guard let first = directories.first else { return }
        let temp = try writeTemporary(bytes, hint: name)
        staged.append(Staged(temporaryPath: temp, directory: first, name: name, replaces: false,
                             linkedAs: directories.dropFirst().map { ($0, name) }))
    }

    /// Stages new content to appear as `name` in `directory` and, as hard links to the same inode, under
    /// each of `links` (directory, name) — made first at commit. The same rules as `publish(_:as:inEach:)`.
    public func publish(_ bytes: [UInt8], as name: String, in directory: String, alsoAs links: [(directory: String, name: String)]) throws {
        let temp = try writeTemporary(bytes, hint: name)
        staged.append(Staged(temporaryPath: temp, directory: directory, name: name, replaces: false, linkedAs: links))
    }

    /// Stages a replacement of the content of an existing document (temporary file + atomic exchange).
    ///
    /// If the document has moved away by commit time, nothing is written (see `CommitReport.vanished`).
    public func replaceContent(of name: String, in directory: String, with bytes: [UInt8]) throws {
        let temp = try writeTemporary(bytes, hint: name)
        staged.append(Staged(temporaryPath: temp, directory: directory, name: name, replaces: true))
    }

    /// Stages the removal of a document at commit, after the content staged before it is in place (so a
    /// document whose content moved into another is removed only once that one is visible). Its inode is
    /// recycled when nothing else links it. A document already gone is not an error.
    public func discard(_ name: String, in directory: String) {
        staged.append(Staged(temporaryPath: "", directory: directory, name: name, replaces: false, discards: true))
    }

    /// Moves a document by `rename(2)` now (under a new name when `newName` is given); never replaces
    /// anything. Losing a race is `.sourceMissing`.
    ///
    /// The failure is read literally (`NoClobberRename.FailureReading.literal`): another process may move the same
    /// document to the same name, so a source gone with the target there is a lost race, never a success (on a
    /// network file system a retransmitted move that did succeed is then reported `.sourceMissing`).
    public func move(_ name: String, from source: String, to target: String, as newName: String? = nil) throws -> NoClobberRename.Outcome {
        let outcome = try NoClobberRename.rename(spool.path(source) + "/" + name, spool.path(target) + "/" + (newName ?? name),
                                                 reading: .literal)
        if outcome == .moved {
            touchedDirectories.insert(source)
            touchedDirectories.insert(target)
        }
        return outcome
    }

    /// Moves a document into its new state first, then stages its new content in place.
    ///
    /// A crash between the two leaves one copy, in the new directory, with the old content: the
    /// recorded state then differs from the directory, which the stages' reconcile step repairs.
    public func moveReplacingContent(_ name: String, from source: String, to target: String,
                                     with bytes: [UInt8]) throws -> NoClobberRename.Outcome {
        let outcome = try move(name, from: source, to: target)
        if outcome == .moved { try replaceContent(of: name, in: target, with: bytes) }
        return outcome
    }

    /// Marks a file the caller wrote outside the spool's documents (e.g. in a job's work directory)
    /// that must be durable when the batch commits: synced with the batch's staged files, in the same
    /// `syncfs` when there are several, so a batch of side files costs one sync instead of one each.
    public func syncAtCommit(file path: String) {
        externalFiles.append(path)
    }

    /// Writes a file outside the spool's documents (e.g. in a job's work directory), replacing it atomically
    /// (temporary name beside it, then `rename`), and makes it durable with the batch (`syncAtCommit`).
    ///
    /// The file must be on the spool's file system (it is written in `.tmp/` first).
    public func writeFile(_ bytes: [UInt8], at path: String) throws {
        let temp = try writeTemporary(bytes, hint: path)
        do {
            try SystemCall.rename(temp, path)
        } catch {
            _ = Glibc.unlink(temp)
            throw error
        }
        syncAtCommit(file: path)
    }

    /// Marks a directory whose entries changed outside the batch, so commit syncs it.
    public func touch(_ directory: String) {
        touchedDirectories.insert(directory)
    }

    /// Makes everything staged visible and durable. The batch can't be reused afterwards.
    @discardableResult
    public func commit() throws -> CommitReport {
        precondition(!committed, "a SpoolBatch commits once")
        committed = true
        if spool.durability == .full && !(staged.isEmpty && externalFiles.isEmpty) { try syncStagedFiles() }
        var conflicts: [Conflict] = []
        var vanished: [String] = []
        var published = 0
        for item in staged {
            let target = spool.path(item.directory) + "/" + item.name
            if item.discards {
                if SystemCall.exists(target) { spool.spares.recycle(target) }
            } else if item.replaces {
                // Only if the document is still there: a replacement never re-creates a moved document.
                // The old content goes to the spare pool; its inode is written again only once nobody holds
                // it open, so a reader that opened it before the exchange keeps its bytes (see `SpareFiles`).
                if try NoClobberRename.replaceIfPresent(item.temporaryPath, target, dispose: spool.spares.recycle) {
                    published += 1
                } else {
                    vanished.append(item.directory + "/" + item.name)
                }
            } else {
                for link in item.linkedAs {
                    switch try NoClobberRename.link(item.temporaryPath, spool.path(link.directory) + "/" + link.name) {
                    case .moved: published += 1
                    case .sourceMissing: throw SystemCallError(call: "link", path: item.temporaryPath, errno: ENOENT)
                    case .targetExists:
                        conflicts.append(try quarantineConflict(Staged(temporaryPath: item.temporaryPath, directory: link.directory,
                                                                       name: link.name, replaces: false), keepSource: true))
                    }
                    touchedDirectories.insert(link.directory)
                }
                switch try NoClobberRename.rename(item.temporaryPath, target) {
                case .moved: published += 1
                case .targetExists: conflicts.append(try quarantineConflict(item))
                case .sourceMissing:
                    throw SystemCallError(call: "rename", path: item.temporaryPath, errno: ENOENT)
                }
            }
            touchedDirectories.insert(item.directory)
        }
        staged.removeAll()
        externalFiles.removeAll()
        for path in sharedTemporaries { _ = Glibc.unlink(path) }
        sharedTemporaries.removeAll()
        var synced = 0
        if spool.durability == .full {
            for directory in touchedDirectories.sorted() {
                try SystemCall.fsyncDirectory(spool.path(directory))
                synced += 1
            }
        }
        touchedDirectories.removeAll()
        return CommitReport(published: published, conflicts: conflicts, vanished: vanished, directoriesSynced: synced)
    }

    private func syncStagedFiles() throws {
        let paths = staged.filter { !$0.discards }.map(\.temporaryPath) + externalFiles
        guard paths.count > 1, let syncfs = SystemCall.syncfs else {
            for path in paths {
                let fd = try SystemCall.open(path, O_RDONLY)
                defer { _ = Glibc.close(fd) }
                try SystemCall.fsync(fd, path: path)
            }
            return
        }
        let fd = try SystemCall.open(spool.temporaryDirectory, O_RDONLY | O_DIRECTORY)
        defer { _ = Glibc.close(fd) }
        _ = try SystemCall.check("syncfs", spool.temporaryDirectory) { syncfs(fd) }
    }

    /// One content to be given several names outside the spool's documents (`link(_:at:)`).
    public struct SharedFile {
        let temporaryPath: String
        let bytes: [UInt8]
    }

    /// Writes `bytes` once (in `.tmp/`, durable with the batch) for `link(_:at:)` to name in several places:
    /// e.g. the `runtime.json` every job of a site gets. The temporary name is removed at commit.
    public func sharedFile(_ bytes: [UInt8]) throws -> SharedFile {
        let path = try writeTemporary(bytes, hint: "shared")
        sharedTemporaries.append(path)
        syncAtCommit(file: path)
        return SharedFile(temporaryPath: path, bytes: bytes)
    }

    /// Gives `shared` the name `path` (a hard link: no new inode, nothing written). Only for files that are
    /// never written in place (every writer here replaces by rename, so one name's new content leaves the
    /// others alone). Where `path` exists (a replay), it is replaced atomically as `writeFile` does.
    public func link(_ shared: SharedFile, at path: String) throws {
        if Glibc.link(shared.temporaryPath, path) == 0 { return }
        let e = Glibc.errno
        guard e == EEXIST else { throw SystemCallError(call: "link", path: "\(shared.temporaryPath) → \(path)", errno: e) }
        try writeFile(shared.bytes, at: path)
    }

    /// Writes a file that does not exist yet, in place: a recycled inode renamed to `path` (or a new file)
    /// and written there, without a temporary name. Only for files nobody reads before this batch commits
    /// (a work directory's files before its job is submitted); durable with the batch (`syncAtCommit`).
    /// Where `path` exists (a replay), it is replaced atomically as `writeFile` does.
    public func writeNewFile(_ bytes: [UInt8], at path: String) throws {
        if SystemCall.exists(path) { return try writeFile(bytes, at: path) }
        try write(bytes, at: path)
        syncAtCommit(file: path)
    }

    /// Writes `bytes` to a fresh temporary file and returns its path: a ripe private spare written where it
    /// is (no rename), else a recycled inode when the pool has one, else a new file.
    private func writeTemporary(_ bytes: [UInt8], hint: String) throws -> String {
        if let spare = spool.spares.takePrivate() {
            try write(bytes, at: spare, recycled: true)
            return spare
        }
        let path = spool.temporaryDirectory + "/" + Spool.temporaryFileName()
        try write(bytes, at: path)
        return path
    }

    /// Writes `bytes` at `path`, which does not exist: a recycled inode when the pool has one, else a new file.
    private func write(_ bytes: [UInt8], at path: String) throws {
        try write(bytes, at: path, recycled: spool.spares.take(to: path))
    }

    /// Writes `bytes` at `path`: over the recycled file there, or as a new file.
    ///
    /// A recycled inode is written again only when `SpareFiles.isOpenOnlyHere` proves that nobody else
    /// has it open: a reader that opened it while it was a document (`less`, `jq`, a backup) and holds it
    /// still reads that document's bytes, however long it holds it. Otherwise the inode is left to that
    /// reader (unlinked here) and a new file is written instead.
    private func write(_ bytes: [UInt8], at path: String, recycled: Bool) throws {
        // A recycled inode is overwritten from the start and then cut to the new length: truncating it to
        // zero first (O_TRUNC) would make ext4 start writing it back at close (its "replace by truncate"
        // heuristic), one I/O per file instead of one sync for the batch. (O_CREAT without O_EXCL: a private
        // spare is a temporary name of this process only, made again should something have removed it.)
        var recycled = recycled
        var fd = recycled
            ? try SystemCall.open(path, O_WRONLY | O_CREAT | O_NOFOLLOW, mode: 0o644)
            : try SystemCall.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        if recycled && !SpareFiles.isOpenOnlyHere(fd) {
            _ = Glibc.close(fd)
            _ = Glibc.unlink(path)
            recycled = false
            fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
        }
        do {
            try bytes.withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: path) }
            if recycled { _ = try SystemCall.check("ftruncate", path) { ftruncate(fd, off_t(bytes.count)) } }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        try SystemCall.close(fd, path: path)
    }

    /// Keeps the content of a publish whose name was taken in `corrupt/` beside its directory, with a reason.
    /// `keepSource`: the temporary file is still needed (linked there, not moved).
    private func quarantineConflict(_ item: Staged, keepSource: Bool = false) throws -> Conflict {
        let corrupt = spool.corruptDirectory(for: item.directory)
        try SystemCall.makeDirectories(spool.path(corrupt))
        let name = item.name + ".conflict-" + Spool.uniqueName()
        if keepSource {
            try SystemCall.link(item.temporaryPath, spool.path(corrupt) + "/" + name)
        } else {
            try SystemCall.rename(item.temporaryPath, spool.path(corrupt) + "/" + name)
        }
        let reason = "\(item.directory)/\(item.name): a document of this name already exists; "
            + "the new content was kept here instead of overwriting it\n"
        let reasonTemp = try writeTemporary(Array(reason.utf8), hint: name)
        try SystemCall.rename(reasonTemp, spool.path(corrupt) + "/" + name + ".reason")
        touchedDirectories.insert(corrupt)
        return Conflict(directory: item.directory, name: item.name, quarantinedAs: corrupt + "/" + name)
    }
}
