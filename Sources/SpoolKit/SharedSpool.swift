#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A spool shared by the processes of several hosts (a central spool on a network file system).
///
/// A marker at the spool's root (`sharedMarkerName`; whatever is there counts) says so; `Spool.markShared()`
/// makes it and every `Spool` of that root reads it once (`Spool.isShared`, cached per root and process). What
/// changes on a shared spool is described on `Spool` ("Several hosts").
extension Spool {
    /// The name of the marker at a spool's root that says the spool is shared by several hosts (`.shared`).
    public static let sharedMarkerName = ".shared"

    /// Marks this spool as shared by several hosts (idempotent): from now on no `Spool` of this root in this
    /// process recycles files or directories, and every process that opens the spool afterwards sees it shared.
    ///
    /// Mark a spool when it is made, before any other process uses it: a process that opened it before keeps
    /// its view (`isShared` is read once per root and process) until it restarts. The pools `.spare/` and
    /// `.spare-dirs/` are emptied, since their spares ripen on one host's boot clock.
    public func markShared() throws {
        let marker = root + "/" + Self.sharedMarkerName
        let existing = try SystemCall.lstat(marker)
        if let existing, (existing.st_mode & S_IFMT) != S_IFREG {
            throw SystemCallError(call: "markShared", path: marker + " (exists and is not a regular file)", errno: EEXIST)
        }
        SharedSpoolMarkers.record(shared: true, root: root)
        spares.stopRecycling()
        spareDirectories.stopRecycling()
        try SystemCall.removeTree(root + "/.spare")
        try SystemCall.removeTree(root + "/.spare-dirs")
        if existing != nil { return }
        let text = "This spool is shared by several hosts: no process id or boot clock of one host is trusted here "
            + "and no file is recycled. Made by host \(Self.hostIdentifier).\n"
        let batch = SpoolBatch(spool: self)
        try batch.writeFile(Array(text.utf8), at: marker)
        batch.touch("")
        try batch.commit()
    }
}

/// Whether each spool root carries the shared marker, read once per root and process (a `Spool` is made often).
enum SharedSpoolMarkers {
    private static let known = Mutex<[String: Bool]>([:])

    /// Whether the spool at `root` is shared: the marker is read the first time this process asks.
    static func isShared(root: String) -> Bool {
        if let shared = known.withLock({ $0[root] }) { return shared }
        let shared = SystemCall.exists(root + "/" + Spool.sharedMarkerName)
        return known.withLock { known in
            if let earlier = known[root] { return earlier }
            known[root] = shared
            return shared
        }
    }

    /// Records that the spool at `root` is (or is not) shared, as `markShared` just made it.
    static func record(shared: Bool, root: String) {
        known.withLock { $0[root] = shared }
    }
}
