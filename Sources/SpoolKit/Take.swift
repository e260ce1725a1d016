#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where the last `take` of each folder stopped in this process: a `telldir` cookie per folder (absolute
/// path). Only a hint kept in memory: the folder stays the whole state, and a lost or stale cookie only moves
/// where the next take starts.
final class TakeCursors: @unchecked Sendable {
    /// The process's cursors.
    static let shared = TakeCursors()
    private let lock = NSLock()
    private var positions: [String: Int] = [:]

    /// Where the next take of `folder` starts (nil: at the start of the folder).
    func position(of folder: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return positions[folder]
    }

    /// Records where the next take of `folder` starts (nil: at the start).
    func set(_ position: Int?, of folder: String) {
        lock.lock()
        defer { lock.unlock() }
        positions[folder] = position
    }
}

extension Spool {
    /// Takes up to `limit` documents of `directory` in the order the folder lists them, at a cost that grows with
    /// `limit`, not with the folder: names are read in `readdir`'s chunks and the listing stops at the
    /// `limit`-th document (one `getdents` per few hundred names; nothing sorted, no document opened).
    ///
    /// **Fairness.** Each take of a folder continues where the previous take of that folder in this process
    /// stopped (a rotating cursor), and wraps to the start at the end of the folder; so every document that stays
    /// in the folder is returned within one turn of the cursor, ⌈documents ÷ `limit`⌉ takes, whatever arrives
    /// meanwhile: none starves. A fresh process starts at the start of the folder.
    ///
    /// **The directory is the state.** The cursor is a `telldir` cookie kept in memory, never a file: the
    /// folder's entries alone say what is queued, so `ls` shows the queue and an operator's `mv` into or out
    /// of it is seen by the next take (a document moved in behind the cursor waits at most one turn).
    /// Cookies are stable across listings on ext4, XFS, Btrfs, tmpfs and NFS; where one is not, a take may
    /// start elsewhere in the folder, which costs fairness for one turn and loses nothing.
    ///
    /// Use it where a batch of any documents will do (the caller takes them all, or waits for them all);
    /// where order matters (`jobs/created` by priority, a request's stages by name) use `scan(_:limit:order:)`,
    /// which reads the whole folder. What is passed over is reported as `scan` reports it. A missing
    /// directory is an empty queue.
    public func take(_ directory: String, limit: Int) throws -> ScanResult {
        let full = path(directory)
        let want = max(0, limit)
        var names: [String] = []
        var returned = Set<String>()
        var ignored: [IgnoredEntry] = []
        var listed = 0
        guard want > 0 else { return ScanResult(names: [], ignored: [], entriesListed: 0) }
        let visit = { (raw: UnsafePointer<CChar>, kind: EntryKind) throws -> Bool in
            listed += 1
            switch try Self.classify(raw, kind: kind, in: full) {
            case .skipped: break
            case .ignored(let entry): if !returned.contains(entry.name) { ignored.append(entry); returned.insert(entry.name) }
            case .document(let name): if returned.insert(name).inserted { names.append(name) }
            }
            return names.count < want
        }
        let start = TakeCursors.shared.position(of: full)
        do {
            var next = try SystemCall.forEachRawEntry(in: full, from: start, visit)
            // At the end of the folder with room left: wrap to its start (the names already taken are not
            // returned twice).
            if next == nil && start != nil && names.count < want {
                next = try SystemCall.forEachRawEntry(in: full, from: nil, visit)
            }
            TakeCursors.shared.set(next, of: full)
        } catch let error as SystemCallError where error.errno == ENOENT && error.call == "opendir" {
            TakeCursors.shared.set(nil, of: full)
            return ScanResult(names: [], ignored: [], entriesListed: 0)
        }
        return ScanResult(names: names, ignored: ignored, entriesListed: listed)
    }

    /// The number of documents in `directory`, counted from its names alone without keeping them (for backlog
    /// figures and idle checks; it reads the whole folder, so keep it out of a take's path). A missing
    /// directory counts 0.
    public func countDocuments(_ directory: String) throws -> Int {
        let full = path(directory)
        var count = 0
        do {
            try SystemCall.forEachRawEntry(in: full) { raw, kind in
                if case .document = try Self.classify(raw, kind: kind, in: full) { count += 1 }
                return true
            }
        } catch let error as SystemCallError where error.errno == ENOENT && error.call == "opendir" {
            return 0
        }
        return count
    }
}
