import Testing
import WMCore
@testable import Tier0

/// `etc/t0.json`: the Interface's keys, T0's defaults (§A.6 "Defaults vs prod"), strict validation, trigger masks.
@Suite struct ConfigurationTests {
    static let path = "/spool/etc/t0.json"

    /// The Interface's example, with one Bulk and one Express stream.
    static let example = """
    {"acquisitionEra": "Run2026A",
     "menus": {"/cdaq/physics/v1/HLT/V3": {"process": "HLT", "paths": ["HLT_Mu", "HLT_Ele", "HLT_Jet", "HLT_Express"],
                                            "streams": {"PhysicsA": {"SingleMuon": ["HLT_Mu"], "EGamma": ["HLT_Ele", "HLT_Mu"],
                                                                     "JetHT": ["HLT_Jet"]},
                                                        "Express": {"StreamExpress": ["HLT_Express"]}}}},
     "streams": {"PhysicsA": {"style": "Bulk", "maxLatency": 3600, "maxSizeSingleLumi": 2000000},
                 "Express": {"style": "Express", "maxInputEvents": 400, "alcaSkims": ["TkAlMinBias"], "periodicHarvestInterval": 1200},
                 "Calibration": {"style": "Ignore"}},
     "promptReco": {"delay": 10, "offset": 5, "enabled": true},
     "datasets": {"JetHT": {"recoDelay": 20, "writeTiers": ["AOD"]}}}
    """

    static func decode(_ text: String) throws -> Tier0Configuration {
        try Tier0Configuration(validating: Array(text.utf8), path: path)
    }

    /// The error `text` is refused with (its description), or "accepted".
    static func refusal(_ text: String) -> String {
        do { _ = try decode(text); return "accepted" } catch { return "\(error)" }
    }

    @Test func theInterfaceExampleDecodes() throws {
        let config = try Self.decode(Self.example)
        #expect(config.acquisitionEra == "Run2026A")
        let menu = try #require(config.menus["/cdaq/physics/v1/HLT/V3"])
        #expect(menu.paths == ["HLT_Mu", "HLT_Ele", "HLT_Jet", "HLT_Express"])
        #expect(menu.datasets(stream: "PhysicsA") == ["EGamma", "JetHT", "SingleMuon"])
        guard case .bulk(let repack) = config.stream("PhysicsA") else { Issue.record("PhysicsA is not Bulk"); return }
        #expect(repack.repack.maxLatency == 3600 && repack.merge.maxLatency == 3600 && repack.repack.maxSizeSingleLumi == 2_000_000)
        #expect(repack.repack.maxInputFiles == 1000 && repack.merge.maxInputFiles == 1000, "a parameter left out keeps T0's default")
        guard case .express(let express) = config.stream("Express") else { Issue.record("Express is not Express"); return }
        #expect(express.express.maxInputEvents == 400 && express.alcaSkims == ["TkAlMinBias"] && express.periodicHarvestInterval == 1200)
        #expect(express.writeTiers == ["FEVT", "ALCARECO", "DQMIO"])
        #expect(config.stream("Calibration") == .ignore)
        #expect(config.promptReco.delay == 10 && config.promptReco.offset == 5 && config.promptReco.enabled)
        #expect(config.recoDelay(dataset: "JetHT") == (20, 5) as (Int, Int))
        #expect(config.recoDelay(dataset: "EGamma") == (10, 5) as (Int, Int))
        #expect(config.dataset("JetHT").writeTiers == ["AOD"])
    }

    /// §A.2: an unconfigured stream is Bulk with the default repack parameters; §A.6's Tier0Config defaults (not prod).
    @Test func anUnconfiguredStreamIsBulkWithTier0ConfigDefaults() throws {
        let config = try Self.decode(Self.example)
        guard case .bulk(let repack) = config.stream("NeverConfigured") else { Issue.record("not Bulk"); return }
        let gib = 1024 * 1024 * 1024
        #expect(repack.repack.maxSizeSingleLumi == 10 * gib && repack.repack.maxSizeMultiLumi == 8 * gib)
        #expect(repack.merge.minInputSize == Int(2.1 * Double(gib)) && repack.merge.maxInputSize == 4 * gib)
        #expect(repack.merge.maxEdmSize == 10 * gib && repack.merge.maxOverSize == 8 * gib)
        #expect(repack.repack.maxInputEvents == 10_000_000 && repack.repack.maxInputFiles == 1000 && repack.repack.maxLatency == 12 * 3600)
        #expect(repack.repack == .defaults && repack.merge == .defaults, "the splitters' defaults, stated once")
        let express = ExpressSettings()
        #expect(express.express.maxInputRate == 23_000 && express.express.maxInputEvents == 200 && express.merge.maxInputSize == 2 * gib)
        #expect(express.merge.maxInputFiles == 500 && express.merge.maxLatency == 345 && express.periodicHarvestInterval == 0)
    }

    /// Bit k of an event's trigger bits is the menu's k-th path; a PD's mask ORs its paths' bits.
    @Test func triggerMaskHasTheBitOfEachSelectingPath() throws {
        let menu = try #require(try Self.decode(Self.example).menus["/cdaq/physics/v1/HLT/V3"])
        #expect(menu.triggerMask(dataset: "SingleMuon", stream: "PhysicsA") == 0b0001)
        #expect(menu.triggerMask(dataset: "EGamma", stream: "PhysicsA") == 0b0011)
        #expect(menu.triggerMask(dataset: "JetHT", stream: "PhysicsA") == 0b0100)
        #expect(menu.triggerMask(dataset: "StreamExpress", stream: "Express") == 0b1000)
        #expect(menu.triggerMask(dataset: "SingleMuon", stream: "Express") == nil)
        #expect(menu.selectEvents(dataset: "EGamma", stream: "PhysicsA") == ["HLT_Ele:HLT", "HLT_Mu:HLT"])
    }

    /// A menu of exactly 64 paths uses bit 63; 65 paths are refused.
    @Test func menusOfMoreThan64PathsAreRefused() throws {
        func menu(_ n: Int) -> String {
            let paths = (0..<n).map { "\"P\($0)\"" }.joined(separator: ",")
            return #"{"acquisitionEra": "Run2026A", "menus": {"k": {"paths": [\#(paths)], "streams": {"A": {"PD": ["P\#(n - 1)"]}}}}}"#
        }
        let config = try Self.decode(menu(64))
        #expect(config.menus["k"]?.triggerMask(dataset: "PD", stream: "A") == 1 << 63)
        let refused = Self.refusal(menu(65))
        #expect(refused.contains("menus.k.paths") && refused.contains("65 paths") && refused.contains("at most 64"), "\(refused)")
    }

    /// Strict validation: each refusal names the file, the key, what was found and what is allowed.
    @Test(arguments: [
        (#"{"menus": {}}"#, "field 'acquisitionEra'", "required"),
        (#"{"acquisitionEra": "Run2026A", "menus": {}, "promtReco": {}}"#, "field 'promtReco'", "unknown key"),
        (#"{"acquisitionEra": "2026", "menus": {}}"#, "field 'acquisitionEra'", "\"2026\""),
        (#"{"acquisitionEra": 7, "menus": {}}"#, "field 'acquisitionEra'", "a string"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"style": "Fast"}}}"#, "streams.A.style", "Bulk, Express, Ignore"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"maxRate": 3}}}"#, "streams.A.maxRate", "unknown key"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"style": "Bulk", "maxInputRate": 3}}}"#, "streams.A.maxInputRate", "unknown key"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"style": "Ignore", "maxLatency": 3}}}"#, "streams.A.maxLatency", "unknown key"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"maxLatency": -1}}}"#, "streams.A.maxLatency", "found -1"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"maxInputEvents": 0}}}"#, "streams.A.maxInputEvents", "from 1 to"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A": {"maxOverSize": 20000000000}}}"#, "streams.A.maxOverSize", "at most maxEdmSize"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"A B": {}}}"#, "streams.A B", "a name matching"),
        (#"{"acquisitionEra": "E", "menus": {}, "streams": {"X": {"style": "Express", "writeTiers": ["GEN"]}}}"#, "streams.X.writeTiers[0]", "FEVT"),
        (#"{"acquisitionEra": "E", "menus": {}, "promptReco": {"delay": 10, "offset": 11}}"#, "promptReco.offset", "at most delay"),
        (#"{"acquisitionEra": "E", "menus": {}, "promptReco": {"enabled": "yes"}}"#, "promptReco.enabled", "true or false"),
        (#"{"acquisitionEra": "E", "menus": {"k": {"paths": ["HLT_Mu"], "streams": {"A": {"PD": ["HLT_Ele"]}}}}}"#, "menus.k.streams.A.PD", "\"HLT_Ele\""),
        (#"{"acquisitionEra": "E", "menus": {"k": {"paths": ["HLT_Mu", "HLT_Mu"], "streams": {}}}}"#, "menus.k.paths", "distinct"),
        (#"{"acquisitionEra": "E", "menus": {"k": {"paths": ["HLT_Mu"], "streams": {"A": {"1PD": ["HLT_Mu"]}}}}}"#, "menus.k.streams.A.1PD", "a name matching"),
        (#"{"acquisitionEra": "E", "menus": {"../x": {"paths": [], "streams": {}}}}"#, "menus.../x", "a name matching"),
        (#"{"acquisitionEra": "E", "menus": {}, "storageManager": {"instances": 0}}"#, "storageManager.instances", "from 1 to 1000"),
        (#"[1]"#, "/spool/etc/t0.json", "an object"),
        (#"{"acquisitionEra": "#, "/spool/etc/t0.json", "malformed JSON"),
    ])
    func strictValidationNamesTheKey(text: String, field: String, detail: String) {
        let refused = Self.refusal(text)
        #expect(refused.hasPrefix(Self.path + ":") && refused.contains(field) && refused.contains(detail), "\(refused)")
    }

    /// An ignored stream and an Express stream's special dataset name (`Stream<name>`, §A.2).
    @Test func expressStreamsHaveTheirStreamDataset() throws {
        let config = try Self.decode(Self.example)
        #expect(config.stream("Express").style == .express)
        #expect(ExpressSettings.streamDataset("Express") == "StreamExpress")
    }
}
