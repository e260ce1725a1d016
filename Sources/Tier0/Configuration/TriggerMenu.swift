import WMCore

/// One HLT menu (T0 `GetHLTConfig`): its process name, its trigger paths in bit order, and for each stream the
/// primary datasets it feeds and the paths that select each. Bit k of an event's trigger bits is path k, so a
/// menu has at most 64 paths.
public struct TriggerMenu: Sendable, Equatable {
    /// The HLT process name (`HLT`): the Repack selection is `<path>:<process>`.
    public var process: String
    /// The trigger paths; path k is bit k of an event's trigger bits.
    public var paths: [String]
    /// Stream → primary dataset → the paths selecting it (an OR: an event goes to every PD one of whose paths fired).
    public var streams: [String: [String: [String]]]

    /// The most paths a menu may have (bits of a UInt64).
    public static let maximumPaths = 64

    /// Makes a menu without checking it (`Tier0Configuration(validating:path:)` checks what it reads).
    public init(process: String, paths: [String], streams: [String: [String: [String]]]) {
        self.process = process
        self.paths = paths
        self.streams = streams
    }

    /// The trigger mask of `dataset` in `stream`: bit k set when the menu's path k selects the dataset; nil when the
    /// stream or the dataset is not in this menu. An event goes to the dataset when `bits & mask != 0`.
    public func triggerMask(dataset: String, stream: String) -> UInt64? {
        guard let selecting = streams[stream]?[dataset] else { return nil }
        var mask: UInt64 = 0
        for (bit, path) in paths.enumerated() where bit < Self.maximumPaths && selecting.contains(path) {
            mask |= 1 << UInt64(bit)
        }
        return mask
    }

    /// The primary datasets of `stream` in this menu, sorted (empty when the stream is not in the menu).
    public func datasets(stream: String) -> [String] { (streams[stream] ?? [:]).keys.sorted() }

    /// The Repack selection of `dataset` in `stream`: the sorted `<path>:<process>` list (§A.2).
    public func selectEvents(dataset: String, stream: String) -> [String] {
        (streams[stream]?[dataset] ?? []).map { "\($0):\(process)" }.sorted()
    }

    /// The shape of a menu in `etc/t0.json`.
    static let shape = ConfigurationShape.object([
        "process": .text, "paths": .list(.text), "streams": .map(.map(.list(.text))),
    ])

    /// Reads a menu from an object already checked against `shape`: the names are checked, the paths must be
    /// distinct and at most 64, and every path a dataset names must be one of the menu's.
    init(_ object: ConfigurationObject) throws {
        process = try object.name("process", pattern: Tier0Patterns.label) ?? "HLT"
        paths = try object.names("paths", pattern: Tier0Patterns.path) ?? []
        try object.require(paths.count <= Self.maximumPaths, "paths", found: "\(paths.count) paths",
                           expected: "at most \(Self.maximumPaths) paths (bit k of an event's trigger bits is path k)")
        let known = Set(paths)
        var streams: [String: [String: [String]]] = [:]
        let streamsObject = object.object("streams")
        for (stream, datasetsValue) in (streamsObject?.members ?? [:]).sorted(by: { $0.key < $1.key }) {
            let streamField = object.member("streams") + "." + stream
            try object.check(stream, pattern: Tier0Patterns.stream, field: streamField)
            let datasets = ConfigurationObject(datasetsValue, field: streamField, path: object.path)
            var selection: [String: [String]] = [:]
            for dataset in datasets.members.keys.sorted() {
                try object.check(dataset, pattern: DatasetName.primaryPattern, field: datasets.member(dataset))
                let selecting = try datasets.names(dataset, pattern: Tier0Patterns.path) ?? []
                try datasets.require(!selecting.isEmpty, dataset, found: "no paths", expected: "at least one of the menu's paths")
                if let index = selecting.firstIndex(where: { !known.contains($0) }) {
                    let stray = selecting[index]
                    throw ConfigurationError(path: object.path, field: datasets.member(dataset) + "[\(index)]", expected: "paths of the menu ("
                                             + (paths.isEmpty ? "it has none" : paths.joined(separator: ", ")) + ")",
                                             found: ConfigurationObject.quoted(stray))
                }
                selection[dataset] = selecting
            }
            streams[stream] = selection
        }
        self.streams = streams
    }
}
