#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// How hard the spool works to make changes survive a power cut.
public enum Durability: String, Sendable, Codable {
    /// `fsync` every new file before it is published and every touched directory after (the default).
    case full
    /// No `fsync`: atomic but not durable. For throw-away spools in tests and demos only.
    case none
}

/// A spool: a root directory whose sub-directories are queues of documents.
///
/// Every change is a `rename(2)` or a no-clobber publish; new content is written in the spool's own
/// `.tmp/` (same file system) and synced before it becomes visible. The spool knows nothing of what
/// the documents mean.
///
/// **One host.** By default the substrate trusts what only one machine can know: process ids (a `.tmp/`
/// file's writer, a lock's holder), the boot clock (spares ripen on `CLOCK_BOOTTIME`), `flock` stage locks
/// and `F_SETLEASE` write leases (a recycled inode is written again only when no process holds it open).
///
/// **Several hosts.** A spool marked shared (`markShared()`, a `.shared` file at its root; `isShared`) may be
/// used by the processes of several hosts over a POSIX network file system such as NFS. It relies on the file
/// system for:
/// - atomic `rename` and `link` within the spool's directory tree (one file system, one export); where
///   `renameat2(RENAME_NOREPLACE)` is refused (NFS), no-clobber renames are `link` + `unlink`, and a crash
///   between the two leaves a duplicate name, never a loss (`NoClobberRename`);
/// - close-to-open consistency: a file closed (and synced) by one host is seen whole by a host that opens it
///   afterwards, and a name renamed into place by one host is seen by another's next lookup;
/// - modification times stamped by one clock, or by clocks in step within a margin far below a day (the age
///   after which another host's temporary files are removed);
/// - `flock` stage locks that work across hosts (NFSv4 byte-range locks), or else the spool's stage programs
///   all running on one host, so that two instances of a stage never overlap (the pid a lock file names is
///   only shown, never acted on).
///
/// It no longer trusts: the process id of another host's temporary file (each temporary name says which host
/// wrote it, `temporaryFileName()`; only this host's are judged by process id, another host's are left alone
/// for a day), the boot clock and write leases (no file or directory is recycled: `.spare/` and `.spare-dirs/`
/// are not used), and the reply of a `rename` or `link`: a retransmitted call that did succeed may report
/// `ENOENT` or `EEXIST`. Every spool reads such a failure as done where no other process moves the source to
/// the same name (`NoClobberRename.FailureReading.sane`, Postfix's `sane_rename` and `sane_link`): publishes,
/// the spool's own temporary files, `NoClobberRename.rename` by default. Moves of documents others may move too
/// (`SpoolBatch.move`, `quarantine`) read it literally, so a retransmitted move that did succeed can report
/// `.sourceMissing` (the document is in its new folder, nothing is lost or doubled). So on a shared spool, claim
/// a document by renaming it to a name of the claimer's own (a folder per agent) with the sane reading.
public struct Spool: Sendable {
    /// Absolute path of the spool's root directory.
    public let root: String
    /// Whether publishes and moves are made durable with `fsync`.
    public let durability: Durability
    /// Whether the spool is shared by several hosts (the `.shared` marker, read once per root and process).
    public let isShared: Bool

    /// The folder for temporary files, inside the spool so renames never cross file systems.
    public var temporaryDirectory: String { root + "/" + Self.temporaryFolderName }

    /// The name of the folder of files being written (`.tmp`): its presence marks a folder as a spool.
    public static let temporaryFolderName = ".tmp"

    /// True when `name` is a write in progress (`.part`), which readers skip, as Maildir readers do.
    public static func isWriteInProgress(_ name: String) -> Bool { name.hasSuffix(".part") }

    /// The spool's pool of recycled inodes (`.spare/`), shared by every `Spool` of this root in the process.
    package let spares: SpareFiles

    /// The spool's pool of recycled directories (`.spare-dirs/`), shared like `spares`.
    package let spareDirectories: SpareFiles

    /// Removes `path` and everything under it (links are removed, never followed), recycling small
    /// files into `spares` and the emptied directories into `spareDirectories` instead of deleting them
    /// (except on a shared spool, which recycles nothing). A missing path is not an error.
    public func discardTree(_ path: String) throws {
        try SystemCall.removeTree(path, removeFile: spares.recycle, removeEmptyDirectory: spareDirectories.recycle)
    }

    /// Makes the directory `path` (and its missing parents), as a ripe recycled directory when the pool has
    /// one (never on a shared spool): a new work directory then costs a rename instead of an inode allocation.
    /// Nothing if it exists.
    public func makeDirectory(_ path: String) throws {
        if SystemCall.isDirectory(path) { return }
        try SystemCall.makeDirectories(NSStringPath(path).deletingLastComponent)
        while spareDirectories.take(to: path) {
            // A recycled directory is empty unless something wrote into it while it was being discarded.
            var empty = true
            try SystemCall.forEachEntry(in: path) { _, _ in empty = false; return false }
            if empty { return }
            try SystemCall.removeTree(path)
        }
        try SystemCall.makeDirectories(path)
    }

    /// Opens (and if needed creates) a spool at `root`.
    public init(root: String, durability: Durability = .full) throws {
        let r = Self.absoluteRoot(root)
        self.root = r
        self.durability = durability
        spares = SpareFiles.pool(root: r)
        spareDirectories = SpareFiles.directoryPool(root: r)
        isShared = SharedSpoolMarkers.isShared(root: r)
        if isShared {
            spares.stopRecycling()
            spareDirectories.stopRecycling()
        }
        try SystemCall.makeDirectories(temporaryDirectory)
    }

    /// `path` as a spool's root is spelled: without trailing `/`, absolute against the working directory. Touches no disk.
    public static func absoluteRoot(_ path: String) -> String {
        var r = path
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        if !r.hasPrefix("/"), let cwdPointer = getcwd(nil, 0) {
            let cwd = String(cString: cwdPointer)
            free(cwdPointer)
            r = r == "." ? cwd : cwd + "/" + r
        }
        return r
    }

    /// The absolute path of a spool-relative path such as `jobs/created`.
    public func path(_ relative: String) -> String {
        relative.isEmpty ? root : root + "/" + relative
    }

    /// Creates spool-relative directories (and parents) that do not exist yet.
    public func ensureDirectories(_ relatives: [String]) throws {
        for relative in relatives { try SystemCall.makeDirectories(path(relative)) }
    }

    /// The name of a quarantine folder: `corrupt/`, beside the folder whose bad documents it holds.
    public static let corruptFolderName = "corrupt"

    /// The quarantine folder for a directory: `corrupt/` beside it (`jobs/created` → `jobs/corrupt`).
    public func corruptDirectory(for directory: String) -> String {
        let parent = NSStringPath(directory).deletingLastComponent
        return parent.isEmpty ? Self.corruptFolderName : parent + "/" + Self.corruptFolderName
    }

    /// The largest document read from a queue, in bytes (16 MB): requests, elements, job documents, WMBS
    /// file lists, records. Documents are small; a larger file is refused (`RefusedFile`), never loaded.
    public static let documentSizeLimit = 16 << 20

    /// The largest configuration file read (`etc/*.json`, config cache entries), in bytes (1 MB).
    public static let configurationSizeLimit = 1 << 20

    /// Reads a document; nil when it is no longer there (another process moved it).
    ///
    /// Never blocks and follows no link (`SystemCall.readFile`): a FIFO, device, socket, directory or link
    /// at that name, or a file larger than `limit`, throws `RefusedFile`.
    public func read(_ name: String, in directory: String, limit: Int = Spool.documentSizeLimit) throws -> [UInt8]? {
        do {
            return try SystemCall.readFile(path(directory) + "/" + name, limit: limit)
        } catch let error as SystemCallError where error.errno == ENOENT {
            return nil
        }
    }

    /// Reads a document waiting in the queue `directory`; nil when it is no longer there, or when it is
    /// no document (a FIFO, device, socket, directory or link, or larger than `limit`): that one is
    /// quarantined at once with its reason (`quarantine`), out of the queue, and `quarantined` is told
    /// the reason, so the caller carries on with the documents behind it.
    public func readQueued(_ name: String, in directory: String, limit: Int = Spool.documentSizeLimit,
                           quarantined: (String) -> Void = { _ in }) throws -> [UInt8]? {
        do {
            return try read(name, in: directory, limit: limit)
        } catch let refused as RefusedFile {
            let reason = refused.description(naming: directory + "/" + name)
            try quarantine(name, in: directory, reason: reason)
            quarantined(reason)
            return nil
        }
    }

    /// Publishes new content durably under `name` in `directory`, never replacing anything.
    ///
    /// Temporary file in `.tmp/`, every write checked, `fsync`, no-clobber rename, `fsync` of the directory.
    @discardableResult
    public func publish(_ bytes: [UInt8], as name: String, in directory: String) throws -> PublishOutcome {
        let batch = SpoolBatch(spool: self)
        try batch.publish(bytes, as: name, in: directory)
        let report = try batch.commit()
        return report.conflicts.isEmpty ? .published : .nameTaken(quarantinedAs: report.conflicts[0].quarantinedAs)
    }

    /// Moves a document between directories by `rename(2)`, never replacing anything; durable at return.
    public func move(_ name: String, from source: String, to target: String) throws -> NoClobberRename.Outcome {
        let batch = SpoolBatch(spool: self)
        let outcome = try batch.move(name, from: source, to: target)
        try batch.commit()
        return outcome
    }

    /// Runs `body` with a batch and commits it: one sync per touched directory (group commit).
    @discardableResult
    public func inBatch(_ body: (SpoolBatch) throws -> Void) throws -> SpoolBatch.CommitReport {
        let batch = SpoolBatch(spool: self)
        try body(batch)
        return try batch.commit()
    }

    /// A name unique to this process and moment: `<seconds>.<microseconds>.<pid>.<counter>`.
    public static func uniqueName() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let n = UniqueCounter.next()
        return "\(ts.tv_sec).\(ts.tv_nsec / 1000).\(getpid()).\(n)"
    }

    /// The process that made a temporary file's name (`temporaryFileName()`, or `uniqueName()`'s form
    /// `<sec>.<usec>.<pid>.<n>…` of older programs), or nil for another name. On which host: `temporaryFileWriter`.
    public static func temporaryFileOwner(_ name: String) -> pid_t? {
        temporaryFileWriter(name)?.pid
    }
}

/// The outcome of a publish.
public enum PublishOutcome: Equatable, Sendable {
    /// The document is visible under its name.
    case published
    /// A document of that name already existed; the new content was quarantined at the given path.
    case nameTaken(quarantinedAs: String)
}

/// A process-wide counter for unique names.
enum UniqueCounter {
    private static let value = Atomic<UInt64>(0)

    static func next() -> UInt64 {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
