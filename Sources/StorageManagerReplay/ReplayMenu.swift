import Tier0

/// What the storage-manager simulator needs of `etc/t0.json`: the era, one HLT menu (its paths, and each stream's
/// primary datasets with their trigger masks) and each stream's style. Read through the Tier-0 configuration
/// itself (`Tier0Configuration`), so the replay accepts exactly the menus the Tier-0 stages accept.
public struct ReplayMenu: Sendable, Hashable {
    /// One primary dataset of a stream and its trigger selection.
    public struct Dataset: Sendable, Hashable {
        /// The dataset's name (`Stream<name>` for an Express stream's special dataset).
        public var name: String
        /// Bit k set when the menu's path k selects it; 0 for an Express stream's special dataset (every event).
        public var triggerMask: UInt64
    }

    /// One stream of the menu.
    public struct Stream: Sendable, Hashable {
        /// The stream's name.
        public var name: String
        /// How the Tier-0 treats it (an unconfigured stream is Bulk).
        public var style: StreamStyle
        /// Its primary datasets, sorted by name.
        public var datasets: [Dataset]
        /// The paths any of its datasets select (0 when one dataset takes every event).
        public var paths: UInt64 { datasets.contains { $0.triggerMask == 0 } ? 0 : datasets.reduce(0) { $0 | $1.triggerMask } }
    }

    /// `acquisitionEra`.
    public var acquisitionEra: String
    /// The HLT key of the menu the replay uses.
    public var hltKey: String
    /// The menu's HLT process name.
    public var process: String
    /// The menu's paths: bit k of an event's trigger bits is path k.
    public var paths: [String]
    /// The menu's streams, sorted by name.
    public var streams: [Stream]

    /// Reads `etc/t0.json` (`path` names it in errors) and picks the menu `hltKey`, or the only one when nil.
    /// - Throws: the configuration's `ConfigurationError` naming the key, or `ReplayMenuError` for the menu choice.
    public static func decode(_ bytes: [UInt8], path: String, hltKey: String?) throws -> ReplayMenu {
        let configuration = try Tier0Configuration(validating: bytes, path: path)
        let menus = configuration.menus
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
        let menu = menus[key]!
        guard !menu.paths.isEmpty, !menu.streams.isEmpty else {
            throw ReplayMenuError(key: "menus.\(key)", problem: "a menu with no paths or no streams gives the replay nothing to write")
        }
        let streams = menu.streams.keys.sorted().map { name in
            let style = configuration.stream(name).style
            var datasets = menu.datasets(stream: name).map { Dataset(name: $0, triggerMask: menu.triggerMask(dataset: $0, stream: name) ?? 0) }
            if style == .express { datasets.append(Dataset(name: ExpressSettings.streamDataset(name), triggerMask: 0)) }
            return Stream(name: name, style: style, datasets: datasets.sorted { $0.name < $1.name })
        }
        return ReplayMenu(acquisitionEra: configuration.acquisitionEra, hltKey: key, process: menu.process, paths: menu.paths, streams: streams)
    }
}

/// A menu choice the replay cannot make.
public struct ReplayMenuError: Error, CustomStringConvertible, Sendable {
    /// The key (dotted path), empty for the whole document.
    public var key: String
    /// What was found and what is allowed.
    public var problem: String
    /// `t0.json: KEY: PROBLEM`.
    public var description: String { "t0.json: \(key.isEmpty ? "" : key + ": ")\(problem)" }
}
