import DynamicJSON

/// The few keys of `etc/t0.json` the storage-manager simulator needs: the era, one HLT menu (its paths, and each
/// stream's primary datasets with their paths) and each stream's style.
///
/// A deliberately small, strict reader of those keys only (other keys are left to the Tier-0 configuration's own
/// validation): every key it reads must have the right type and range, or decoding fails naming the key.
/// To be replaced by the `Tier0` module's configuration once both are merged.
public struct ReplayMenu: Sendable, Hashable {
    /// How the Tier-0 treats a stream (`streams.<name>.style`; an unconfigured stream is Bulk).
    public enum Style: String, Sendable, Hashable, CaseIterable {
        /// Repacked into its primary datasets.
        case bulk = "Bulk"
        /// Express-processed; also feeds the special dataset `Stream<name>`.
        case express = "Express"
        /// Written by the storage managers but not processed.
        case ignore = "Ignore"
    }

    /// One primary dataset of a stream and its trigger selection.
    public struct Dataset: Sendable, Hashable {
        /// The dataset's name (`Stream<name>` for an Express stream's special dataset).
        public var name: String
        /// Bit k set = the menu's k-th path selects it; 0 = every event of the stream (the path "All").
        public var triggerMask: UInt64
    }

    /// One stream of the menu.
    public struct Stream: Sendable, Hashable {
        /// The stream's name.
        public var name: String
        /// Its style.
        public var style: Style
        /// Its primary datasets, sorted by name (for an Express stream, `Stream<name>` included).
        public var datasets: [Dataset]
        /// The union of the datasets' trigger masks (0 when a dataset takes every event).
        public var paths: UInt64 { datasets.contains { $0.triggerMask == 0 } ? 0 : datasets.reduce(0) { $0 | $1.triggerMask } }
    }

    /// `acquisitionEra`.
    public var acquisitionEra: String
    /// The menu's key in `menus`.
    public var hltKey: String
    /// The menu's HLT process name.
    public var process: String
    /// The menu's paths: bit k of an event's trigger bits is `paths[k]`.
    public var paths: [String]
    /// The menu's streams, sorted by name.
    public var streams: [Stream]

    /// The most paths a menu may have (one bit each in 64-bit trigger bits).
    public static let maximumPaths = 64

    /// Decodes the keys from the bytes of `etc/t0.json`, choosing the menu `hltKey` (nil: the only menu).
    /// - Throws: `ReplayMenuError` naming the key, what was found and what is allowed.
    public static func decode(_ bytes: [UInt8], hltKey: String?) throws(ReplayMenuError) -> ReplayMenu {
        let root: JSONValue
        do { root = try JSONValue.parse(bytes) } catch { throw ReplayMenuError(key: "", problem: "not JSON: \(error)") }
        guard let top = root.objectValue else { throw ReplayMenuError(key: "", problem: "expected an object, got \(root.typeName)") }
        let era = try string(top["acquisitionEra"], key: "acquisitionEra")
        guard let menus = top["menus"]?.objectValue, !menus.isEmpty else {
            throw ReplayMenuError(key: "menus", problem: "expected a non-empty object of HLT key → menu")
        }
        let key: String
        if let hltKey {
            guard menus[hltKey] != nil else {
                throw ReplayMenuError(key: "menus", problem: "no menu '\(hltKey)' (menus: \(menus.keys.sorted().joined(separator: ", ")))")
            }
            key = hltKey
        } else {
            guard menus.count == 1, let only = menus.keys.first else {
                throw ReplayMenuError(key: "menus", problem: "\(menus.count) menus (\(menus.keys.sorted().joined(separator: ", "))): choose one with --hlt-key")
            }
            key = only
        }
        let styles = try streamStyles(top["streams"])
        return try menu(menus[key]!, key: key, era: era, styles: styles)
    }

    private static func menu(_ value: JSONValue, key: String, era: String, styles: [String: Style]) throws(ReplayMenuError) -> ReplayMenu {
        let at = "menus.\(key)"
        guard let menu = value.objectValue else { throw ReplayMenuError(key: at, problem: "expected an object, got \(value.typeName)") }
        let process = try string(menu["process"], key: at + ".process")
        guard let pathValues = menu["paths"]?.arrayValue, (1...maximumPaths).contains(pathValues.count) else {
            throw ReplayMenuError(key: at + ".paths", problem: "expected a list of 1 to \(maximumPaths) path names")
        }
        var paths: [String] = []
        for (index, path) in pathValues.enumerated() {
            let name = try string(path, key: "\(at).paths[\(index)]")
            guard !paths.contains(name), name != "All" else {
                throw ReplayMenuError(key: "\(at).paths[\(index)]", problem: "'\(name)' is repeated or reserved (\"All\" means every event)")
            }
            paths.append(name)
        }
        guard let streamValues = menu["streams"]?.objectValue, !streamValues.isEmpty else {
            throw ReplayMenuError(key: at + ".streams", problem: "expected a non-empty object of stream → {dataset: [paths]}")
        }
        var streams: [Stream] = []
        for (name, datasetsValue) in streamValues.sorted(by: { $0.key < $1.key }) {
            try checkName(name, key: "\(at).streams")
            guard let datasetValues = datasetsValue.objectValue, !datasetValues.isEmpty else {
                throw ReplayMenuError(key: "\(at).streams.\(name)", problem: "expected a non-empty object of dataset → [paths]")
            }
            var datasets: [Dataset] = []
            for (dataset, selection) in datasetValues {
                let where_ = "\(at).streams.\(name).\(dataset)"
                try checkName(dataset, key: "\(at).streams.\(name)")
                guard let selected = selection.arrayValue, !selected.isEmpty else {
                    throw ReplayMenuError(key: where_, problem: "expected a non-empty list of the menu's paths or \"All\"")
                }
                var mask: UInt64 = 0
                var all = false
                for (index, pathValue) in selected.enumerated() {
                    let path = try string(pathValue, key: "\(where_)[\(index)]")
                    if path == "All" { all = true; continue }
                    guard let bit = paths.firstIndex(of: path) else {
                        throw ReplayMenuError(key: "\(where_)[\(index)]", problem: "'\(path)' is not a path of the menu (\(paths.joined(separator: ", ")))")
                    }
                    mask |= UInt64(1) << UInt64(bit)
                }
                datasets.append(Dataset(name: dataset, triggerMask: all ? 0 : mask))
            }
            let style = styles[name] ?? .bulk
            if style == .express { datasets.append(Dataset(name: "Stream" + name, triggerMask: 0)) }
            streams.append(Stream(name: name, style: style, datasets: datasets.sorted { $0.name < $1.name }))
        }
        return ReplayMenu(acquisitionEra: era, hltKey: key, process: process, paths: paths, streams: streams)
    }

    /// `streams.<name>.style` of every configured stream (other stream keys are not read here).
    private static func streamStyles(_ value: JSONValue?) throws(ReplayMenuError) -> [String: Style] {
        guard let value else { return [:] }
        guard let streams = value.objectValue else { throw ReplayMenuError(key: "streams", problem: "expected an object, got \(value.typeName)") }
        var styles: [String: Style] = [:]
        for (name, config) in streams {
            guard let object = config.objectValue else {
                throw ReplayMenuError(key: "streams.\(name)", problem: "expected an object, got \(config.typeName)")
            }
            guard let text = object["style"] else { styles[name] = .bulk; continue }
            guard let style = text.stringValue.flatMap(Style.init(rawValue:)) else {
                throw ReplayMenuError(key: "streams.\(name).style",
                                      problem: "got \(text.serialized), allowed: \(Style.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            styles[name] = style
        }
        return styles
    }

    private static func string(_ value: JSONValue?, key: String) throws(ReplayMenuError) -> String {
        guard let value else { throw ReplayMenuError(key: key, problem: "missing") }
        guard let text = value.stringValue, !text.isEmpty, text.utf8.count <= 200 else {
            throw ReplayMenuError(key: key, problem: "expected a non-empty string of at most 200 bytes, got \(value.serialized.prefix(80))")
        }
        return text
    }

    /// Stream and dataset names go into LFNs and file names: letters, digits, `_` and `-` only, 1 to 100 of them.
    private static func checkName(_ name: String, key: String) throws(ReplayMenuError) {
        let allowed = name.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 }
        guard allowed, (1...100).contains(name.utf8.count) else {
            throw ReplayMenuError(key: key, problem: "name '\(name.prefix(100))' must be 1 to 100 letters, digits, '_' or '-'")
        }
    }
}

/// A key of `etc/t0.json` the simulator cannot use.
public struct ReplayMenuError: Error, CustomStringConvertible, Sendable {
    /// The key (dotted path), empty for the whole document.
    public var key: String
    /// What was found and what is allowed.
    public var problem: String
    /// `t0.json: KEY: PROBLEM`.
    public var description: String { "t0.json: \(key.isEmpty ? "" : key + ": ")\(problem)" }
}
