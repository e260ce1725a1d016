import DynamicJSON
import WMCore

/// One document a storage-manager instance drops into the Tier-0's incoming folder (issue 20's Interface; T0's
/// `StorageManagerAPI` reads the same facts from the SM database, §A.1). Decoded from bytes as hostile input
/// (`init(validating:file:)`): every field present with the right type, numbers in range, names of a safe form,
/// no unknown key; an error names the file, the field, what was found and what is allowed.
public enum StorageManagerDocument: Sendable, Equatable {
    /// `{"kind": "run", ...}`: a run starts.
    case run(RunDocument)
    /// `{"kind": "streamer", ...}`: one streamer file.
    case streamer(StreamerDocument)
    /// `{"kind": "endOfLumi", ...}`: what one instance wrote for one lumi of one stream.
    case endOfLumi(EndOfLumiDocument)
    /// `{"kind": "endOfRun", ...}`: an instance ended the run.
    case endOfRun(EndOfRunDocument)

    /// The largest document accepted, in bytes (a streamer document is a few hundred).
    public static let maximumBytes = 64 * 1024
    /// The most events one streamer file may hold.
    public static let maximumEvents = 1_000_000_000
    /// Streamer sizes accepted: 1 byte to 1 TiB (§A.1: a file of size 0 or less is not registered).
    public static let sizes = 1...(1 << 40)
    /// The most files one instance may report for one lumi of one stream.
    public static let maximumFilesPerLumi = 100_000

    /// The run the document is about.
    public var run: Int {
        switch self {
        case .run(let d): d.run
        case .streamer(let d): d.run
        case .endOfLumi(let d): d.run
        case .endOfRun(let d): d.run
        }
    }

    /// Decodes one document strictly; `file` names it in errors.
    public init(validating bytes: [UInt8], file: String) throws(StorageManagerDocumentError) {
        guard bytes.count <= Self.maximumBytes else {
            throw StorageManagerDocumentError(file: file, field: "", found: "\(bytes.count) bytes", expected: "at most \(Self.maximumBytes) bytes")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw StorageManagerDocumentError(file: file, field: "", found: "malformed JSON (\(error))", expected: "a JSON object")
        }
        guard let members = value.objectValue else {
            throw StorageManagerDocumentError(file: file, field: "", found: ConfigurationShape.describe(value), expected: "a JSON object")
        }
        let fields = DocumentFields(members: members, file: file)
        let kinds = ["run", "streamer", "endOfLumi", "endOfRun"]
        let kind = try fields.string("kind")
        switch kind {
        case "run":
            try fields.allow(["kind", "run", "hltKey", "cmssw", "setupLabel"])
            self = .run(RunDocument(run: try fields.number("run", in: Tier0Patterns.runsAndLumis),
                                    hltKey: try fields.name("hltKey", pattern: Tier0Patterns.hltKey),
                                    cmssw: try fields.name("cmssw", pattern: Lexicon.cmsswVersion),
                                    setupLabel: try fields.name("setupLabel", pattern: Tier0Patterns.label)))
        case "streamer":
            try fields.allow(["kind", "run", "lumi", "stream", "instance", "lfn", "path", "events", "size"])
            let lfn = try fields.string("lfn")
            if let problem = LFNRule.problem(lfn) { throw fields.refuse("lfn", found: lfn, expected: "\(LFNRule.expectation); \(problem)") }
            let path = try fields.string("path")
            if let problem = LFNRule.confinementProblem(path) {
                throw fields.refuse("path", found: path, expected: "an absolute path without empty, '.' or '..' components; \(problem)")
            }
            guard path.utf8.count <= 4096 else { throw fields.refuse("path", found: path, expected: "at most 4096 bytes") }
            self = .streamer(StreamerDocument(run: try fields.number("run", in: Tier0Patterns.runsAndLumis),
                                              lumi: try fields.number("lumi", in: Tier0Patterns.runsAndLumis),
                                              stream: try fields.name("stream", pattern: Tier0Patterns.stream),
                                              instance: try fields.instance(),
                                              lfn: lfn, path: path,
                                              events: try fields.number("events", in: 0...Self.maximumEvents),
                                              size: try fields.number("size", in: Self.sizes)))
        case "endOfLumi":
            try fields.allow(["kind", "run", "lumi", "stream", "instance", "files"])
            self = .endOfLumi(EndOfLumiDocument(run: try fields.number("run", in: Tier0Patterns.runsAndLumis),
                                                lumi: try fields.number("lumi", in: Tier0Patterns.runsAndLumis),
                                                stream: try fields.name("stream", pattern: Tier0Patterns.stream),
                                                instance: try fields.instance(),
                                                files: try fields.number("files", in: 0...Self.maximumFilesPerLumi)))
        case "endOfRun":
            try fields.allow(["kind", "run", "instance", "instances", "lumis"])
            self = .endOfRun(EndOfRunDocument(run: try fields.number("run", in: Tier0Patterns.runsAndLumis),
                                              instance: try fields.instance(),
                                              instances: try fields.number("instances", in: 1...StorageManagerSettings.maximumInstances),
                                              lumis: try fields.number("lumis", in: 0...Tier0Patterns.runsAndLumis.upperBound)))
        default:
            throw fields.refuse("kind", found: "\"\(kind)\"", expected: "one of " + kinds.joined(separator: ", "))
        }
    }
}

/// A run starts (`{"kind": "run", "run": R, "hltKey": K, "cmssw": V, "setupLabel": "Data"}`).
public struct RunDocument: Sendable, Equatable {
    /// The run number.
    public var run: Int
    /// The HLT key: which menu of `etc/t0.json` the run used.
    public var hltKey: String
    /// The CMSSW release the detector ran, as the SM gave it.
    public var cmssw: String
    /// The setup label (`Data`; `Emulation` runs are dropped unless emulation repacking is on).
    public var setupLabel: String

    /// Makes a document.
    public init(run: Int, hltKey: String, cmssw: String, setupLabel: String) {
        self.run = run
        self.hltKey = hltKey
        self.cmssw = cmssw
        self.setupLabel = setupLabel
    }

    /// The release the Tier-0 uses: the SM's version kept to its first four `_` fields (§A.1:
    /// `CMSSW_14_0_7_patch2` → `CMSSW_14_0_7`).
    public var release: String { cmssw.split(separator: "_", omittingEmptySubsequences: false).prefix(4).joined(separator: "_") }

    /// True when the run is registered (§A.1: a run with setup label `Emulation` is dropped unless `EmulationRepack`).
    public func isRegistered(emulationRepack: Bool) -> Bool { setupLabel != "Emulation" || emulationRepack }
}

/// One streamer file (`{"kind": "streamer", "run", "lumi", "stream", "instance", "lfn", "path", "events", "size"}`):
/// exactly one run and lumi (§A.1); registration is idempotent by `lfn`.
public struct StreamerDocument: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// The one lumi.
    public var lumi: Int
    /// The stream.
    public var stream: String
    /// The instance that wrote it.
    public var instance: String
    /// Its LFN (`LFNRule`).
    public var lfn: String
    /// The absolute path of the event file (no empty, `.` or `..` component).
    public var path: String
    /// Events in it (0 allowed: §A.1's NULL → 0).
    public var events: Int
    /// Bytes (at least 1).
    public var size: Int

    /// Makes a document.
    public init(run: Int, lumi: Int, stream: String, instance: String, lfn: String, path: String, events: Int, size: Int) {
        self.run = run
        self.lumi = lumi
        self.stream = stream
        self.instance = instance
        self.lfn = lfn
        self.path = path
        self.events = events
        self.size = size
    }
}

/// What one instance wrote for one lumi of one stream (`{"kind": "endOfLumi", ..., "files": N}`; N = 0: empty lumi).
public struct EndOfLumiDocument: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// The lumi.
    public var lumi: Int
    /// The stream.
    public var stream: String
    /// The reporting instance.
    public var instance: String
    /// How many streamer files the instance wrote for the lumi.
    public var files: Int

    /// Makes a document.
    public init(run: Int, lumi: Int, stream: String, instance: String, files: Int) {
        self.run = run
        self.lumi = lumi
        self.stream = stream
        self.instance = instance
        self.files = files
    }
}

/// An instance ended the run (`{"kind": "endOfRun", "run", "instance", "instances": M, "lumis": N}`).
public struct EndOfRunDocument: Sendable, Hashable {
    /// The run.
    public var run: Int
    /// The instance.
    public var instance: String
    /// How many instances wrote the run.
    public var instances: Int
    /// How many lumis this instance saw (its `n_lumisections`).
    public var lumis: Int

    /// Makes a document.
    public init(run: Int, instance: String, instances: Int, lumis: Int) {
        self.run = run
        self.instance = instance
        self.instances = instances
        self.lumis = lumis
    }
}

/// A storage-manager document that can't be used: the file, the field, what was found and what is allowed.
public struct StorageManagerDocumentError: Error, Equatable, CustomStringConvertible {
    /// The document's file.
    public var file: String
    /// The field ("" for the document as a whole).
    public var field: String
    /// What was found.
    public var found: String
    /// What is allowed.
    public var expected: String

    /// Makes an error.
    public init(file: String, field: String, found: String, expected: String) {
        self.file = file
        self.field = field
        self.found = found
        self.expected = expected
    }

    public var description: String {
        "\(file): " + (field.isEmpty ? "" : "field '\(field)': ") + "found \(found); expected \(expected)"
    }
}

/// The members of one document, read with checks that throw `StorageManagerDocumentError`.
struct DocumentFields {
    /// The members.
    let members: [String: JSONValue]
    /// The file, for errors.
    let file: String

    /// An error for `field`.
    func refuse(_ field: String, found: String, expected: String) -> StorageManagerDocumentError {
        StorageManagerDocumentError(file: file, field: field, found: found.count > 200 ? String(found.prefix(197)) + "..." : found,
                                    expected: expected)
    }

    /// Refuses any member not in `known`.
    func allow(_ known: [String]) throws(StorageManagerDocumentError) {
        if let stray = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw refuse(stray, found: "an unknown field", expected: "only the fields " + known.joined(separator: ", "))
        }
    }

    /// The string `field` (required).
    func string(_ field: String) throws(StorageManagerDocumentError) -> String {
        guard let value = members[field] else { throw refuse(field, found: "nothing", expected: "a string (required)") }
        guard let text = value.stringValue else { throw refuse(field, found: ConfigurationShape.describe(value), expected: "a string") }
        return text
    }

    /// The string `field` (required), whole-matching `pattern`.
    func name(_ field: String, pattern: String) throws(StorageManagerDocumentError) -> String {
        let text = try string(field)
        guard WholeMatch.test(text, pattern) else { throw refuse(field, found: "\"\(text)\"", expected: "a name matching \(pattern)") }
        return text
    }

    /// The `instance` field (required): a name matching `Tier0Patterns.instance`, or a whole number from 0 to
    /// `StorageManagerSettings.maximumInstances` (the Interface writes `"instance": I`; `wm-t0-replay` writes
    /// numbers), which is the same instance as its decimal text.
    func instance() throws(StorageManagerDocumentError) -> String {
        if case .int(let n) = members["instance"] {
            guard (0...StorageManagerSettings.maximumInstances).contains(n) else {
                throw refuse("instance", found: String(n), expected: "a name matching \(Tier0Patterns.instance) or a whole number "
                             + "from 0 to \(StorageManagerSettings.maximumInstances)")
            }
            return String(n)
        }
        return try name("instance", pattern: Tier0Patterns.instance)
    }

    /// The whole number `field` (required), in `range`.
    func number(_ field: String, in range: ClosedRange<Int>) throws(StorageManagerDocumentError) -> Int {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let value = members[field] else { throw refuse(field, found: "nothing", expected: expected + " (required)") }
        guard case .int(let n) = value, range.contains(n) else { throw refuse(field, found: ConfigurationShape.describe(value), expected: expected) }
        return n
    }
}
