import DynamicJSON
import Foundation
import Testing

/// What the Tier-0 end-to-end and chaos tests share: their `etc/t0.json` and the replay's expectation.
enum Tier0Replay {
    /// The Tier-0 configuration of the test: the default menu, with sizes scaled to the replay's small streamers
    /// (~2.8 kB per file of 10 events): a normal lumi (2 files) repacks two at a time, the oversized lumi (20× the
    /// events) is split over two repack jobs, and its merge is over `maxEdmSize`, so it goes to the `-Error` datasets.
    static let configuration = """
    {"acquisitionEra": "Run2026A",
     "menus": {"HLT_2026_v1": {"process": "HLT", "paths": ["HLT_Mu", "HLT_Ele", "HLT_Jet", "HLT_Express"],
               "streams": {"Physics": {"Muon": ["HLT_Mu"], "EGamma": ["HLT_Ele"], "JetMET": ["HLT_Jet", "HLT_Mu"]},
                           "Express": {"ExpressPhysics": ["HLT_Express"]}}}},
     "streams": {"Physics": {"style": "Bulk", "maxSizeSingleLumi": 60000, "maxSizeMultiLumi": 12000,
                             "maxEdmSize": 20000, "maxOverSize": 20000},
                 "Express": {"style": "Express", "maxLatency": 1}},
     "promptReco": {"delay": 172800, "offset": 1800, "enabled": false}}
    """

    /// `{"datasets": {PD: ["RUN LUMI EVENT", ...]}}` of `wm-t0-replay --expect`.
    static func expectation(_ path: String) throws -> [String: [CatalogEvent]] {
        let root = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let datasets = try #require(root.objectValue?["datasets"]?.objectValue)
        return try datasets.mapValues { list in
            try #require(list.arrayValue).map { item in
                let parts = try #require(item.stringValue).split(separator: " ").compactMap { Int($0) }
                try #require(parts.count == 3)
                return CatalogEvent(run: parts[0], lumi: parts[1], event: parts[2])
            }
        }
    }


    /// Where the catalog differs from the replay's expectation, one line per problem (none: every event of the Physics
    /// stream is in each primary dataset whose paths it fired exactly once, or in its `-Error` dataset — only events of
    /// `oversized` there, and some when it is given — and the express datasets hold the express stream's events once).
    /// `events` lists a dataset's events, nil when the catalog has no such dataset.
    static func problems(expected: [String: [CatalogEvent]], oversized: (run: Int, lumi: Int)?,
                         events: (String) throws -> [CatalogEvent]?) throws -> [String] {
        var problems: [String] = []
        var errorEvents = 0
        for pd in ["Muon", "EGamma", "JetMET"] {
            let good = try events("/\(pd)/Run2026A-v1/RAW") ?? []
            let error = try events("/\(pd)-Error/Run2026A-v1/RAW") ?? []
            errorEvents += error.count
            let found = (good + error).sorted(), wanted = expected[pd, default: []].sorted()
            if found != wanted {
                problems.append("\(pd): \(found.count) events in RAW and -Error (\(Set(found).count) distinct), expected \(wanted.count); "
                                + "missing \(Set(wanted).subtracting(found).sorted().prefix(5)), extra \(Set(found).subtracting(wanted).sorted().prefix(5))")
            }
            if let oversized, let stray = error.first(where: { $0.run != oversized.run || $0.lumi != oversized.lumi }) {
                problems.append("\(pd)-Error holds \(stray), not of the oversized lumi")
            }
        }
        if oversized != nil && errorEvents == 0 { problems.append("the oversized lumi is in no -Error dataset") }
        let express = [("/ExpressPhysics/Run2026A-Express-v1/FEVT", "ExpressPhysics"), ("/StreamExpress/Run2026A-Express-v1/FEVT", "StreamExpress"),
                       ("/StreamExpress/Run2026A-Express-v1/ALCARECO", "StreamExpress")]
        for (dataset, key) in express {
            let found = (try events(dataset) ?? []).sorted()
            if found != expected[key, default: []].sorted() {
                problems.append("\(dataset): \(found.count) events, expected \(expected[key, default: []].count)")
            }
        }
        return problems
    }
}
