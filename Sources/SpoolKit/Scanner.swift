#if canImport(Glibc)
import Glibc
#endif

/// How a scan orders the documents it returns.
public enum ScanOrder: Sendable {
    /// By name, ascending. Names that start with a fixed-width priority or time key sort by it.
    case name
    /// By a key derived from the name (e.g. a priority field in it); ties by name.
    case key(@Sendable (String) -> String)
    /// By modification time, oldest first (one `lstat` per entry: use on small directories).
    case age
    /// As the directory lists them, unsorted: for callers that want the set of names (or whether there is
    /// any), not an order; with a limit, the first names listed.
    case unordered
}

extension ScanOrder {
    var isUnordered: Bool {
        if case .unordered = self { return true }
        return false
    }
}

/// One entry a scan passed over, and why.
public struct IgnoredEntry: Sendable, Equatable {
    /// What was wrong with an entry a scan passed over.
    public enum Problem: Sendable, Equatable {
        /// A symbolic link where a document should be.
        case symlink
        /// A directory where a document should be.
        case directory
        /// A device, socket or FIFO.
        case special
        /// A name that is not a safe document name (it contains `..`, a control character, ...).
        case unsafeName
        /// A hidden name (starting with a dot, like `..dots.json`): never a document.
        case hiddenName
        /// A name that is not valid UTF-8 (`name` shows its bad bytes as U+FFFD; `nameBytes` are the real ones).
        case undecodableName
    }
    /// The entry's name (for an undecodable name, a readable stand-in that names no file).
    public var name: String
    /// The entry's name exactly as the directory lists it: what renames and unlinks must use.
    public var nameBytes: [UInt8]
    /// What was wrong.
    public var problem: Problem

    /// An entry whose name is valid UTF-8.
    public init(name: String, problem: Problem) {
        self.name = name
        self.nameBytes = Array(name.utf8)
        self.problem = problem
    }

    /// An entry whose name is not valid UTF-8 (`.undecodableName`).
    init(undecodable bytes: [UInt8]) {
        self.name = String(decoding: bytes, as: UTF8.self)
        self.nameBytes = bytes
        self.problem = .undecodableName
    }

    /// A sentence for logs and `.reason` files.
    public var explanation: String {
        switch problem {
        case .symlink: return "'\(name)' is a symbolic link; documents must be regular files"
        case .directory: return "'\(name)' is a directory; documents must be regular files"
        case .special: return "'\(name)' is a device, socket or FIFO; documents must be regular files"
        case .unsafeName:
            return "'\(name)' is not a safe document name; expected letters, digits and . _ - + = @ , only, no '..'"
        case .hiddenName:
            return "'\(name)' is a hidden name (it starts with a dot); documents are named with letters, digits and . _ - + = @ , "
                + "and never start with a dot"
        case .undecodableName:
            let hex = nameBytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
            return "'\(name)' (bytes \(hex)) is not valid UTF-8; documents are named with letters, digits and . _ - + = @ , only"
        }
    }
}

/// The result of a scan: a bounded, ordered batch of document names plus what was passed over.
public struct ScanResult: Sendable {
    /// Document names in order, at most the requested limit.
    public var names: [String]
    /// Entries that are not documents (symlinks, directories, special files, hidden, unsafe or undecodable
    /// names); names ending in `.part` (writes in progress) are skipped silently.
    public var ignored: [IgnoredEntry]
    /// How many directory entries were listed (names only; no document was opened).
    public var entriesListed: Int
}

extension Spool {
    /// True for a name a document may have: non-empty, at most 255 bytes, no leading dot, no `..`,
    /// only letters, digits and `. _ - + = @ ,`.
    public static func isSafeName(_ name: String) -> Bool {
        let bytes = name.utf8
        if bytes.isEmpty || bytes.count > 255 || bytes.first == UInt8(ascii: ".") { return false }
        var previousDot = false
        for b in bytes {
            let isDot = b == UInt8(ascii: ".")
            if isDot && previousDot { return false }
            previousDot = isDot
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                 UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: ","):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// Lists up to `limit` documents of `directory` in `order`, reading names only.
    ///
    /// Names ending in `.part` (writes in progress) are skipped silently, as Maildir readers do. Symlinks,
    /// directories, special files, hidden (dot) names, unsafe names and names that are not UTF-8 are
    /// returned in `ignored` for the caller to quarantine (`quarantine(_:in:)`) or report. Keeps a bounded heap of `limit` entries, so a
    /// directory of a million documents costs one pass over its names and no document reads.
    /// A missing directory is an empty queue.
    public func scan(_ directory: String, limit: Int = Int.max, order: ScanOrder = .name) throws -> ScanResult {
        let full = path(directory)
        var heap = BoundedHeap(limit: limit)
        var unordered: [String] = []
        var ignored: [IgnoredEntry] = []
        var listed = 0
        do {
            try SystemCall.forEachRawEntry(in: full) { raw, kind in
                listed += 1
                let name: String
                switch try Self.classify(raw, kind: kind, in: full) {
                case .skipped: return true
                case .ignored(let entry): ignored.append(entry); return true
                case .document(let document): name = document
                }
                let key: String
                switch order {
                case .unordered:
                    unordered.append(name)
                    return unordered.count < limit
                case .name: key = name
                case .key(let derive): key = derive(name)
                case .age:
                    guard let st = try SystemCall.lstat(full + "/" + name) else { return true }
                    let t = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
                    key = String(repeating: "0", count: max(0, 20 - String(Int(t * 1e6)).count)) + String(Int(t * 1e6))
                }
                heap.insert(key: key, name: name)
                return true
            }
        } catch let error as SystemCallError where error.errno == ENOENT && error.call == "opendir" {
            return ScanResult(names: [], ignored: [], entriesListed: 0)
        }
        return ScanResult(names: order.isUnordered ? unordered : heap.sorted(), ignored: ignored, entriesListed: listed)
    }

    /// What one listed entry is to a scan.
    enum Listed {
        /// A document, by name.
        case document(String)
        /// Not a document: to be quarantined or reported.
        case ignored(IgnoredEntry)
        /// A write in progress (`.part`), passed over silently.
        case skipped
    }

    /// Sorts one `readdir` entry of the folder at the absolute `full` path into document, non-document or
    /// write in progress (one `lstat` only when the file system does not give the entry's kind).
    static func classify(_ raw: UnsafePointer<CChar>, kind listedKind: EntryKind, in full: String) throws -> Listed {
        guard let name = String(validatingCString: raw) else {
            return .ignored(IgnoredEntry(undecodable: Array(UnsafeRawBufferPointer(start: raw, count: strlen(raw)))))
        }
        if name.hasSuffix(".part") { return .skipped }
        var kind = listedKind
        if kind == .unknown, let st = try SystemCall.lstat(full + "/" + name) {
            switch st.st_mode & S_IFMT {
            case S_IFREG: kind = .file
            case S_IFDIR: kind = .directory
            case S_IFLNK: kind = .symlink
            default: kind = .other
            }
        }
        switch kind {
        case .file, .unknown: break
        case .symlink: return .ignored(IgnoredEntry(name: name, problem: .symlink))
        case .directory: return .ignored(IgnoredEntry(name: name, problem: .directory))
        case .other: return .ignored(IgnoredEntry(name: name, problem: .special))
        }
        if name.hasPrefix(".") { return .ignored(IgnoredEntry(name: name, problem: .hiddenName)) }
        guard Spool.isSafeName(name) else { return .ignored(IgnoredEntry(name: name, problem: .unsafeName)) }
        return .document(name)
    }
}

/// Keeps the `limit` smallest (key, name) pairs seen: a max-heap of at most `limit` entries.
struct BoundedHeap {
    let limit: Int
    private var items: [(key: String, name: String)] = []

    init(limit: Int) { self.limit = max(0, limit) }

    private static func less(_ a: (key: String, name: String), _ b: (key: String, name: String)) -> Bool {
        a.key != b.key ? a.key < b.key : a.name < b.name
    }

    mutating func insert(key: String, name: String) {
        let item = (key: key, name: name)
        if limit == Int.max {
            items.append(item)
            return
        }
        if items.count < limit {
            items.append(item)
            siftUp(items.count - 1)
        } else if let top = items.first, Self.less(item, top) {
            items[0] = item
            siftDown(0)
        }
    }

    func sorted() -> [String] {
        items.sorted(by: Self.less).map(\.name)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(items[parent], items[child]) else { return }
            items.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var largest = parent
            if left < items.count && Self.less(items[largest], items[left]) { largest = left }
            if right < items.count && Self.less(items[largest], items[right]) { largest = right }
            if largest == parent { return }
            items.swapAt(parent, largest)
            parent = largest
        }
    }
}
