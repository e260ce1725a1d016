import Tier0
import WMCore

/// The AlcaHarvest's conditions payload stand-in: what CMSSW's AlcaHarvest writes as an sqlite file (output label
/// `Sqlite`, §A.5), here a small deterministic JSON document naming the workflow, the runs and lumis harvested and
/// their events, so the same inputs always give the same bytes.
struct ConditionPayload {
    /// The data tier of the payload output (`ExpressCalibration.conditionTier`).
    static let tier = ExpressCalibration.conditionTier

    /// The workflow harvested.
    var workflow: String
    /// The output label (`Sqlite`).
    var label: String
    /// Run → lumis harvested.
    var lumisPerRun: [Int: Set<Int>]
    /// Run → events harvested.
    var eventsPerRun: [Int: Int]

    /// The document: `kind`, `label`, `workflow`, and per run (`runs`, keyed by run) its first and last lumi, lumi
    /// count and events (the IOV a real payload would start at is the first run).
    var json: JSONValue {
        .object([
            "kind": .string("conditionsPayload"),
            "label": .string(label),
            "workflow": .string(workflow),
            "firstRun": lumisPerRun.keys.min().map { .int($0) } ?? .null,
            "runs": .object(Dictionary(uniqueKeysWithValues: lumisPerRun.map { run, lumis in
                (String(run), JSONValue.object(["lumis": .int(lumis.count), "firstLumi": .int(lumis.min() ?? 0),
                                                "lastLumi": .int(lumis.max() ?? 0), "events": .int(eventsPerRun[run] ?? 0)]))
            })),
        ])
    }
}
