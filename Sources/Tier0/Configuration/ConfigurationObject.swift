import DynamicJSON
import WMCore

/// The patterns names must match where they enter the Tier-0 (configuration and storage-manager documents).
/// Each is anchored by `WholeMatch`, and each keeps a name safe to put in a file name, a workflow or a dataset name.
public enum Tier0Patterns {
    /// A stream name (`Express`, `PhysicsMuons`): a letter, then letters, digits and `_`, at most 64.
    public static let stream = #"[A-Za-z][A-Za-z0-9_]{0,63}"#
    /// A storage-manager instance (`StorageManager`, `sm-1`): at most 64 of `[A-Za-z0-9_.-]`, starting alphanumeric.
    public static let instance = #"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"#
    /// A trigger path (`HLT_Mu50_v3`): a letter, then letters, digits and `_`, at most 200.
    public static let path = #"[A-Za-z][A-Za-z0-9_]{0,199}"#
    /// An HLT key (`/cdaq/physics/Run2026/v1.2/HLT/V3`): at most 200 of `[A-Za-z0-9_./:-]`, no `..`.
    public static let hltKey = #"(?!.*\.\.)[A-Za-z0-9_./:\-]{1,200}"#
    /// A label (process name, scenario, AlcaSkim, DQM sequence, setup label): a letter, then letters, digits, `_`, `-`.
    public static let label = #"[A-Za-z][A-Za-z0-9_\-]{0,99}"#
    /// The largest run or lumi number (CMSSW's unsigned 32 bits; 0 is none).
    public static let runsAndLumis = Lexicon.runAndLumiNumbers
}

/// One JSON object of a configuration file being read, already checked against its `ConfigurationShape`: typed
/// reads of its members and the checks the shape cannot express, each error naming the file and the dotted key.
struct ConfigurationObject {
    /// The members.
    let members: [String: JSONValue]
    /// The dotted key of this object ("" at the top).
    let field: String
    /// The file, for errors.
    let path: String

    /// The object at `value` (which the shape check proved is an object).
    init(_ value: JSONValue, field: String, path: String) {
        members = value.objectValue ?? [:]
        self.field = field
        self.path = path
    }

    /// The dotted key of member `key`.
    func member(_ key: String) -> String { field.isEmpty ? key : field + "." + key }

    /// The member `key` as an object, if present.
    func object(_ key: String) -> ConfigurationObject? {
        members[key].map { ConfigurationObject($0, field: member(key), path: path) }
    }

    /// The member `key` as an integer, if present.
    func int(_ key: String) -> Int? { members[key]?.intValue }

    /// The member `key` as a flag, if present.
    func flag(_ key: String) -> Bool? { members[key]?.boolValue }

    /// The member `key` as a list of strings, if present.
    func strings(_ key: String) -> [String]? { members[key]?.arrayValue?.compactMap(\.stringValue) }

    /// The member `key` as a string matching `pattern`, if present; a string that does not match is refused.
    func name(_ key: String, pattern: String) throws -> String? {
        guard let text = members[key]?.stringValue else { return nil }
        try check(text, pattern: pattern, field: member(key))
        return text
    }

    /// The member `key` as a list of distinct strings matching `pattern`, if present.
    func names(_ key: String, pattern: String) throws -> [String]? {
        guard let list = strings(key) else { return nil }
        for (i, text) in list.enumerated() { try check(text, pattern: pattern, field: "\(member(key))[\(i)]") }
        try require(Set(list).count == list.count, key, found: list.joined(separator: ","), expected: "distinct names")
        return list
    }

    /// Refuses `text` (at `field`) unless the whole of it matches `pattern`.
    func check(_ text: String, pattern: String, field: String) throws {
        guard WholeMatch.test(text, pattern) else {
            throw ConfigurationError(path: path, field: field, expected: "a name matching \(pattern)", found: Self.quoted(text))
        }
    }

    /// Refuses member `key` (found `found`) with `expected` unless `condition` holds.
    func require(_ condition: Bool, _ key: String, found: some CustomStringConvertible, expected: String) throws {
        guard condition else { throw ConfigurationError(path: path, field: member(key), expected: expected, found: "\(found)") }
    }

    /// A found string as an error shows it: quoted, long ones cut.
    static func quoted(_ text: String) -> String {
        "\"" + (text.count > 60 ? String(text.prefix(57)) + "..." : text) + "\""
    }
}
