#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Recycled inodes: small files the spool no longer needs (a replaced document's old content, a finished
/// job's work files, reserved empty files) wait in `<root>/.spare/` to be written again instead of being
/// unlinked.
///
/// Why: creating a file costs an inode allocation, and on ext4 without a journal the allocator skips
/// every inode freed in the last one to six minutes, looking each one up (`recently_deleted`). A
/// pipeline that creates and deletes ~15 files per job turns that into a scan that grows with the
/// throughput (measured: half of `wmagent bench`'s time). Reusing the inode of a file that would have
/// been deleted takes both the free and the allocation away.
///
/// Safety:
/// - A spare is never a document. It enters the pool by `rename` from a path that was about to be
///   deleted, and leaves it by `rename` to a fresh temporary name (claim by rename: of two processes only
///   one gets it), is written there, and is published like any temporary file. A crash leaves spares or
///   temporary files, never a half-written document.
/// - Published bytes never change: a recycled file is written again only when `isOpenOnlyHere` proves,
///   with a write lease, that no process holds it open (a `less`, `jq`, backup or transfer tool that
///   opened it as a document keeps reading that document's bytes however long it holds it). When someone
///   does hold it, the writer leaves the inode to that reader (unlinks its name) and writes a new file.
/// - A recycled file also **ripens** for `ripeningDelay` seconds (10 by default) before it is taken again,
///   so most readers have let go by then and the lease is rarely refused; its name in the pool is
///   `<ripe-at-ms>-<unique>`, on the system-wide boot clock, so every process honours it.
/// - Only plain files with one link, mode 0644 and at most 16 KB are kept, at most `capacity` per
///   process; the rest are unlinked as before. Reserved empty files (never documents) are ripe at once.
///
/// Private spares: a spool's pool first keeps up to `privateCapacity` spares for this process alone, as
/// temporary files in `.tmp/` (named by `Spool.temporaryFileName()`, as the batch's own temporaries are).
/// A replaced document's old content is already there (the exchange left it at its temporary name), so it
/// becomes a spare without a rename, and a ripe private spare is written again in place as the next
/// temporary file, without a rename either: a content replacement costs the exchange alone instead of three
/// renames. Nobody else claims a private spare (`Spool.purgeTemporaryFiles` and `fsck` leave the temporary
/// files of live processes alone); at exit they go to `.spare/` for every process (`releasePrivateSpares`,
/// run by `atexit`). A process killed first leaves them as temporary files of a dead process, which
/// `purgeTemporaryFiles` takes in as spares once they have been idle a minute.
///
/// Not on a spool shared by several hosts (`Spool.isShared`): the boot clock and write leases mean nothing
/// across hosts, so such a spool's pools are stopped (`stopRecycling`): files are unlinked, directories
/// removed, and new ones allocated.
package final class SpareFiles: Sendable {
    /// The pool's folder.
    package let directory: String
    /// Files this process keeps at most (beyond that, files are unlinked).
    package let capacity: Int
    /// Seconds a recycled file waits before it is written again.
    package let ripeningDelay: Double
    /// Largest file kept, in bytes.
    package static let largestSpare = 16 << 10
    /// The default `ripeningDelay`: far longer than any read of a document of at most 16 KB.
    package static let defaultRipeningDelay = 10.0
    /// Whether the pool holds emptied directories (`.spare-dirs/`) instead of files.
    package let holdsDirectories: Bool
    /// The folder of this process's private spares (the spool's `.tmp/`), or nil for a pool without them.
    package let privateDirectory: String?
    /// Private spares this process keeps at most (beyond that, spares go to `directory`).
    package let privateCapacity: Int

    private struct State {
        /// Spares that may be written now.
        var ripe: [String] = []
        /// Spares still ripening (names in `directory`).
        var ripening = RipeningQueue()
        var lastScan: Double = -1
        var count: Int { ripe.count + ripening.count }
        /// Private spares (paths in `privateDirectory`).
        var privates = RipeningQueue()
        var privateCount: Int { privates.count }
        /// Set once the private spares were released (at exit): later spares go to the shared folder.
        var released = false
    }
    private let state = Mutex(State())
    /// False once the pool is stopped (`stopRecycling`).
    private let recycling = Atomic<Bool>(true)

    /// Whether the pool keeps and hands out spares (false on a shared spool).
    package var isRecycling: Bool { recycling.load(ordering: .relaxed) }

    /// Stops the pool for good (a spool shared by several hosts): `recycle` unlinks (or removes) at once, `take`,
    /// `takePrivate` and `reserve` find nothing, and the private spares held now are unlinked. The pool's folder
    /// is left as it is.
    package func stopRecycling() {
        guard recycling.exchange(false, ordering: .relaxed) else { return }
        let privates = state.withLock { state in
            state.released = true
            state.ripe = []
            state.ripening = RipeningQueue()
            return state.privates.removeAll()
        }
        for spare in privates { _ = Glibc.unlink(spare.name) }
    }

    /// Every pool of this process, by folder.
    private static let pools = Mutex<[String: SpareFiles]>([:])

    /// The pool of the spool at `root` (one per root and process).
    package static func pool(root: String) -> SpareFiles {
        pool(root: root, ripeningDelay: defaultRipeningDelay)
    }

    /// The pool of the spool at `root`, made with `ripeningDelay` if this process has none yet (tests).
    static func pool(root: String, ripeningDelay: Double) -> SpareFiles {
        shared(root + "/.spare") {
            SpareFiles(directory: $0, capacity: 65_536, ripeningDelay: ripeningDelay,
                       privateDirectory: root + "/.tmp", privateCapacity: 65_536)
        }
    }

    /// The pool of emptied directories of the spool at `root` (`.spare-dirs/`; one per root and process).
    package static func directoryPool(root: String) -> SpareFiles {
        directoryPool(root: root, ripeningDelay: defaultRipeningDelay)
    }

    /// The directory pool of the spool at `root`, made with `ripeningDelay` if this process has none yet (tests).
    static func directoryPool(root: String, ripeningDelay: Double) -> SpareFiles {
        shared(root + "/.spare-dirs") { SpareFiles(directory: $0, capacity: 16_384, ripeningDelay: ripeningDelay, holdsDirectories: true) }
    }

    /// The process's pool for `directory`, made by `make` the first time.
    private static func shared(_ directory: String, make: (String) -> SpareFiles) -> SpareFiles {
        pools.withLock { pools in
            if let pool = pools[directory] { return pool }
            let pool = make(directory)
            pools[directory] = pool
            if pool.privateDirectory != nil && !releaseAtExitInstalled {
                releaseAtExitInstalled = true
                atexit { SpareFiles.releaseEveryPrivateSpare() }
            }
            return pool
        }
    }

    nonisolated(unsafe) private static var releaseAtExitInstalled = false

    /// Releases the private spares of every pool of this process (run at exit).
    package static func releaseEveryPrivateSpare() {
        for pool in pools.withLock({ Array($0.values) }) { pool.releasePrivateSpares() }
    }

    init(directory: String, capacity: Int, ripeningDelay: Double = SpareFiles.defaultRipeningDelay, holdsDirectories: Bool = false,
         privateDirectory: String? = nil, privateCapacity: Int = 0) {
        self.directory = directory
        self.capacity = capacity
        self.ripeningDelay = ripeningDelay
        self.holdsDirectories = holdsDirectories
        self.privateDirectory = privateDirectory
        self.privateCapacity = privateDirectory == nil ? 0 : privateCapacity
    }

    /// A ripe private spare, removed from the pool: a temporary file of this process to be written in place
    /// (it may have been removed meanwhile: open it with `O_CREAT`). Nil when none is ripe.
    package func takePrivate() -> String? {
        guard privateCapacity > 0, isRecycling else { return nil }
        let now = Self.clock()
        return state.withLock { $0.privates.popRipe(now: now) }
    }

    /// Moves every private spare to the shared folder (ripening as it would have), so other processes can
    /// take it, or unlinks it when that folder is full (`capacity`); later spares go there directly.
    /// Returns how many moved.
    @discardableResult
    package func releasePrivateSpares() -> Int {
        let privates = state.withLock { state in
            state.released = true
            return state.privates.removeAll()
        }
        var moved = 0
        for spare in privates {
            if moveIntoSharedFolder(spare.name, ripeAt: spare.at) { moved += 1 } else { _ = Glibc.unlink(spare.name) }
        }
        return moved
    }

    /// Moves a ripe spare to `path` (a fresh name in the spool's file system); false when there is none.
    package func take(to path: String) -> Bool {
        guard isRecycling else { return false }
        while let spare = takePrivate() {
            if Glibc.rename(spare, path) == 0 { return true }
            // Removed meanwhile (a purge by an older program): try the next one.
        }
        for attempt in 0..<2 {
            while let name = nextRipe() {
                if Glibc.rename(directory + "/" + name, path) == 0 { return true }
                if Glibc.errno != ENOENT { return false }
                // Another process took it first.
            }
            if attempt == 0 && !rescan() { return false }
        }
        return false
    }

    /// Puts the file at `path` into the pool (to ripen) instead of unlinking it; unlinks it when it is not
    /// a candidate (not a plain 0644 file with one link and at most 16 KB) or the pool is full. A pool of
    /// directories takes an emptied 0755 directory instead, or removes it (`rmdir`).
    package func recycle(_ path: String) {
        if isRecycling && keep(path) { return }
        _ = holdsDirectories ? Glibc.rmdir(path) : Glibc.unlink(path)
    }

    /// Creates up to `count` empty spares, ripe at once (an inode reserve made ahead of a busy period, as
    /// the pool of an agent that has archived many jobs holds); stops at `capacity`. Returns how many it made.
    @discardableResult
    package func reserve(_ count: Int) throws -> Int {
        guard isRecycling else { return 0 }
        try SystemCall.makeDirectories(directory)
        var made = 0
        while made < count && state.withLock({ $0.count < capacity }) {
            let name = "0-" + Spool.uniqueName()
            let fd = try SystemCall.open(directory + "/" + name, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            try SystemCall.close(fd, path: directory + "/" + name)
            state.withLock { $0.ripe.append(name) }
            made += 1
        }
        return made
    }

    /// Spares this process knows of (ripe or ripening, shared or private).
    package var count: Int { state.withLock { $0.count + $0.privateCount } }

    /// Private spares this process holds (ripe or ripening).
    package var privateCount: Int { state.withLock { $0.privateCount } }

    /// True when the file open as `fd` (for writing) is open nowhere else: no reader or writer of any process
    /// holds it, mapped or not. Proven by a write lease, which Linux grants only to the sole opener of a file
    /// (`fcntl(F_SETLEASE, F_WRLCK)` fails with `EAGAIN` otherwise), released at once. Should someone open
    /// the file in that instant, the lease break is signalled with SIGURG (ignored unless handled) instead of
    /// SIGIO (which would end the process). False too where leases are refused (another owner, disabled).
    package static func isOpenOnlyHere(_ fd: Int32) -> Bool {
        guard fcntl(fd, fileSetSignal, SIGURG) == 0 else { return false }
        guard fcntl(fd, fileSetLease, Int32(F_WRLCK)) == 0 else { return false }
        _ = fcntl(fd, fileSetLease, Int32(F_UNLCK))
        return true
    }

    /// `F_SETSIG` and `F_SETLEASE` (Linux, `<fcntl.h>` with `_GNU_SOURCE`).
    private static let fileSetSignal: Int32 = 10, fileSetLease: Int32 = 1024

    /// Seconds on the boot clock: monotonic and the same in every process of the machine.
    static func clock() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_BOOTTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func nextRipe() -> String? {
        let now = Self.clock()
        return state.withLock { state in
            if let name = state.ripe.popLast() { return name }
            return state.ripening.popRipe(now: now)
        }
    }

    private func keep(_ path: String) -> Bool {
        var st = stat()
        guard Glibc.lstat(path, &st) == 0 else { return false }
        if holdsDirectories {
            guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_nlink == 2, (st.st_mode & 0o7777) == 0o755 else { return false }
        } else {
            guard (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink == 1, (st.st_mode & 0o7777) == 0o644,
                  Int(st.st_size) <= Self.largestSpare else { return false }
        }
        let ripeAt = Self.clock() + ripeningDelay
        if let privateDirectory, keepPrivately(path, in: privateDirectory, ripeAt: ripeAt) { return true }
        return moveIntoSharedFolder(path, ripeAt: ripeAt)
    }

    /// Keeps `path` as a private spare: where it is when it is already a temporary file of this process
    /// (a replaced content left by the exchange), else renamed into `privateDirectory`. False when the
    /// private pool is full or released.
    private func keepPrivately(_ path: String, in privateDirectory: String, ripeAt: Double) -> Bool {
        guard state.withLock({ !$0.released && $0.privateCount < privateCapacity }) else { return false }
        var kept = path
        let prefix = privateDirectory + "/"
        if !(path.hasPrefix(prefix) && Spool.temporaryFileWriter(String(decoding: path.utf8.dropFirst(prefix.utf8.count), as: UTF8.self))?.isThisProcess == true) {
            kept = prefix + Spool.temporaryFileName()
            guard Glibc.rename(path, kept) == 0 else { return false }
        }
        state.withLock { $0.privates.append((ripeAt, kept)) }
        return true
    }

    /// Renames `path` into the shared folder as a spare ripe at `ripeAt`; false when the pool is full.
    private func moveIntoSharedFolder(_ path: String, ripeAt: Double) -> Bool {
        guard state.withLock({ $0.count < capacity }) else { return false }
        let name = "\(Int64(ripeAt * 1000))-" + Spool.uniqueName()
        if Glibc.rename(path, directory + "/" + name) != 0 {
            guard Glibc.errno == ENOENT, Glibc.mkdir(directory, 0o755) == 0 || Glibc.errno == EEXIST,
                  Glibc.rename(path, directory + "/" + name) == 0 else { return false }
        }
        state.withLock { $0.ripening.append((ripeAt, name)) }
        return true
    }

    /// Reads the folder again (at most twice a second): the pool as every process left it. True when it
    /// found a ripe spare.
    private func rescan() -> Bool {
        let now = Self.clock()
        guard state.withLock({ state in
            guard now - state.lastScan > 0.5 else { return false }
            state.lastScan = now
            return true
        }) else { return false }
        var ripe: [String] = []
        var ripening: [(at: Double, name: String)] = []
        try? SystemCall.forEachEntry(in: directory) { name, kind in
            guard kind == (holdsDirectories ? .directory : .file) || kind == .unknown else { return true }
            let at = Self.ripeTime(of: name, now: now, delay: ripeningDelay)
            if at <= now { ripe.append(name) } else { ripening.append((at, name)) }
            return ripe.count + ripening.count < capacity
        }
        ripening.sort { $0.at < $1.at }
        let found = !ripe.isEmpty
        state.withLock { state in
            state.ripe = ripe
            state.ripening = RipeningQueue(ripening)
        }
        return found
    }

    /// When a spare named `<ripe-at-ms>-…` may be written. A name without that prefix, or with a time
    /// further ahead than one delay (the boot clock restarted), ripens one delay from now.
    static func ripeTime(of name: String, now: Double, delay: Double) -> Double {
        guard let dash = name.utf8.firstIndex(of: UInt8(ascii: "-")),
              let millis = Int64(Substring(name.utf8[..<dash])) else { return now + delay }
        let at = Double(millis) / 1000
        return at > now + delay ? now + delay : at
    }
}

/// Spares waiting to ripen, oldest first: (ripe at, name or path). Taken from the front by index, the
/// array compacted now and then.
struct RipeningQueue {
    private var items: [(at: Double, name: String)]
    private var start = 0

    init(_ items: [(at: Double, name: String)] = []) { self.items = items }

    /// Spares waiting.
    var count: Int { items.count - start }

    /// Adds a spare ripe at `at` (no earlier than those already waiting).
    mutating func append(_ item: (at: Double, name: String)) { items.append(item) }

    /// The oldest spare if it is ripe at `now`, removed; nil otherwise.
    mutating func popRipe(now: Double) -> String? {
        guard start < items.count, items[start].at <= now else { return nil }
        let name = items[start].name
        start += 1
        if start > 4096 && start * 2 > items.count {
            items.removeFirst(start)
            start = 0
        }
        return name
    }

    /// Every spare waiting, removed.
    mutating func removeAll() -> [(at: Double, name: String)] {
        defer { items = []; start = 0 }
        return Array(items[start...])
    }
}
