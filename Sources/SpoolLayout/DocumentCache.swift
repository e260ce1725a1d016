#if canImport(Glibc)
import Glibc
import SpoolKit
import WMCore
#endif

/// Decoded documents kept across a stage's cycles, so a folder the stage reads in full every cycle (the
/// submitter's `created/` and `executing/`, the tracker's two passes over `executing/`) costs one `lstat`
/// per unchanged document instead of a read and a JSON decode.
///
/// An entry is used only while the file's identity and change stamps (device, inode, size, modification and
/// change times) are those seen when it was read: every rewrite in the spool replaces the file (a new inode,
/// a new ctime), so a changed or moved document is always read again. The stamp is taken before the read,
/// so a document replaced in between is read again next time, never served stale.
public final class DocumentCache<Body: SpoolDocumentBody> {
    private var entries: StampedEntries<Annotated<Body>>

    /// At most this many documents are kept; past it the cache is emptied and refilled.
    public var capacity: Int { entries.capacity }

    /// An empty cache.
    public init(capacity: Int = 250_000) {
        entries = StampedEntries(capacity: capacity)
    }

    /// Number of documents kept.
    public var count: Int { entries.count }

    /// The stamp of the file at `path`, or nil when it is gone.
    func stamp(_ path: String) throws -> FileStamp? {
        try FileStamp.of(path)
    }

    /// The document read from `path` when it had this stamp, if any.
    func document(at path: String, stamp: FileStamp) -> Annotated<Body>? {
        entries.value(at: path, stamp: stamp)
    }

    /// Keeps the document read from `path`, whose file had `stamp` before the read.
    func keep(_ document: Annotated<Body>, at path: String, stamp: FileStamp) {
        entries.keep(document, at: path, stamp: stamp)
    }

    /// Forgets every document of `folder` (an absolute path) whose file name is not in `present`.
    func retain(in folder: String, only present: Set<String>) {
        entries.retain(in: folder, only: present)
    }
}

/// Values worked out from files (decoded documents, a bundle's keys), by path, each kept while its file's
/// stamp is the one taken before the file was read; at `capacity` the entries are emptied and refilled.
struct StampedEntries<Value> {
    private var entries: [String: (stamp: FileStamp, value: Value)] = [:]
    /// At most this many entries are kept.
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Number of entries.
    var count: Int { entries.count }

    /// The value worked out from `path` when it had this stamp, if any.
    func value(at path: String, stamp: FileStamp) -> Value? {
        guard let entry = entries[path], entry.stamp == stamp else { return nil }
        return entry.value
    }

    /// Keeps the value worked out from `path`, whose file had `stamp` before it was read.
    mutating func keep(_ value: Value, at path: String, stamp: FileStamp) {
        if entries.count >= capacity && entries[path] == nil { entries.removeAll(keepingCapacity: true) }
        entries[path] = (stamp, value)
    }

    /// Forgets every entry of `folder` (an absolute path) whose file name is not in `present`.
    mutating func retain(in folder: String, only present: Set<String>) {
        let prefix = folder + "/"
        for path in entries.keys where path.hasPrefix(prefix) && !present.contains(String(path.dropFirst(prefix.count))) {
            entries[path] = nil
        }
    }
}

extension StampedEntries: Sendable where Value: Sendable {}

/// Small values worked out from documents (what a stage needs of each, not the decoded document), kept across a
/// stage's cycles while each file's stamp is the one taken before it was read: a folder read in full every cycle
/// then costs one `lstat` and a few bytes per unchanged document, instead of a read, a decode, or a whole
/// decoded document held in memory.
package final class SummaryCache<Value> {
    private var entries: StampedEntries<Value>

    /// An empty cache keeping at most `capacity` values (past it, it is emptied and refilled).
    package init(capacity: Int = 1_000_000) {
        entries = StampedEntries(capacity: capacity)
    }

    /// Number of values kept.
    package var count: Int { entries.count }

    /// The value worked out from `path` when it had `stamp`, if any.
    package func value(at path: String, stamp: FileStamp) -> Value? {
        entries.value(at: path, stamp: stamp)
    }

    /// Keeps the value worked out from `path`, whose file had `stamp` before it was read.
    package func keep(_ value: Value, at path: String, stamp: FileStamp) {
        entries.keep(value, at: path, stamp: stamp)
    }

    /// Forgets every value of `folder` (an absolute path) whose file name is not in `present`.
    package func retain(in folder: String, only present: Set<String>) {
        entries.retain(in: folder, only: present)
    }
}
