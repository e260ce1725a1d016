#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Recycled inodes: small files the spool no longer needs (a finished job's work files, reserved empty
/// files) wait in `<root>/.spare/` to be written again instead of being unlinked.
///
/// Why: creating a file costs an inode allocation, and on ext4 without a journal the allocator skips
/// every inode freed in the last one to six minutes, looking each one up (`recently_deleted`). A
/// pipeline that creates and deletes ~15 files per job turns that into a scan that grows with the
/// throughput (measured: half of `wmagent bench`'s time). Reusing the inode of a file that would have
/// been deleted takes both the free and the allocation away.
///
/// Safety: a spare is never a document. It enters the pool by `rename` from a path that was about to be
/// deleted, and leaves it by `rename` to a fresh temporary name (claim by rename: of two processes only
/// one gets it), is truncated and written there, and is published like any temporary file. Only plain
/// files with one link, mode 0644 and at most 16 KB are kept, at most `capacity` per process; the rest
/// are unlinked as before. A crash leaves spares or temporary files, never a half-written document.
/// Only files no other process reads may be recycled: a replaced document's old content is not (a reader
/// that opened it just before the swap would see a reused inode's new bytes).
public final class SpareFiles: Sendable {
    /// The pool's folder.
    public let directory: String
    /// Files this process keeps at most (beyond that, files are unlinked).
    public let capacity: Int
    /// Largest file kept, in bytes.
    public static let largestSpare = 16 << 10

    private struct State {
        var names: [String] = []
        var lastScan: Double = -1
    }
    private let state = Mutex(State())

    private static let pools = Mutex<[String: SpareFiles]>([:])

    /// The pool of the spool at `root` (one per root and process).
    public static func pool(root: String) -> SpareFiles {
        pools.withLock { pools in
            if let pool = pools[root] { return pool }
            let pool = SpareFiles(directory: root + "/.spare", capacity: 32_768)
            pools[root] = pool
            return pool
        }
    }

    init(directory: String, capacity: Int) {
        self.directory = directory
        self.capacity = capacity
    }

    /// Moves a spare to `path` (a fresh name in the spool's file system); false when the pool is empty.
    public func take(to path: String) -> Bool {
        for attempt in 0..<2 {
            while let name = state.withLock({ $0.names.popLast() }) {
                if Glibc.rename(directory + "/" + name, path) == 0 { return true }
                if Glibc.errno != ENOENT { return false }
                // Another process took it first.
            }
            if attempt == 0 && !rescan() { return false }
        }
        return false
    }

    /// Puts the file at `path` into the pool instead of unlinking it; unlinks it when it is not a
    /// candidate (not a plain 0644 file with one link and at most 16 KB) or the pool is full.
    public func recycle(_ path: String) {
        if keep(path) { return }
        _ = Glibc.unlink(path)
    }

    /// Creates up to `count` empty spares (an inode reserve made ahead of a busy period, as the pool of an
    /// agent that has archived many jobs holds); stops at `capacity`. Returns how many it made.
    @discardableResult
    public func reserve(_ count: Int) throws -> Int {
        try SystemCall.makeDirectories(directory)
        var made = 0
        while made < count && state.withLock({ $0.names.count < capacity }) {
            let name = Spool.uniqueName()
            let fd = try SystemCall.open(directory + "/" + name, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            try SystemCall.close(fd, path: directory + "/" + name)
            state.withLock { $0.names.append(name) }
            made += 1
        }
        return made
    }

    /// Spares this process knows of.
    public var count: Int { state.withLock { $0.names.count } }

    private func keep(_ path: String) -> Bool {
        var st = stat()
        guard Glibc.lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink == 1,
              (st.st_mode & 0o7777) == 0o644, Int(st.st_size) <= Self.largestSpare else { return false }
        guard state.withLock({ $0.names.count < capacity }) else { return false }
        let name = Spool.uniqueName()
        if Glibc.rename(path, directory + "/" + name) != 0 {
            guard Glibc.errno == ENOENT, Glibc.mkdir(directory, 0o755) == 0 || Glibc.errno == EEXIST,
                  Glibc.rename(path, directory + "/" + name) == 0 else { return false }
        }
        state.withLock { $0.names.append(name) }
        return true
    }

    /// Reads the folder again (at most twice a second): spares other processes left. True when it found any.
    private func rescan() -> Bool {
        let now = SystemCall.now()
        guard state.withLock({ state in
            guard now - state.lastScan > 0.5 else { return false }
            state.lastScan = now
            return true
        }) else { return false }
        var found: [String] = []
        try? SystemCall.forEachEntry(in: directory) { name, kind in
            if kind == .file || kind == .unknown { found.append(name) }
            return found.count < capacity
        }
        guard !found.isEmpty else { return false }
        state.withLock { $0.names.append(contentsOf: found) }
        return true
    }
}
