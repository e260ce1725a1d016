import Foundation
import JobSplitting
import SpoolKit
import TestSupport
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// A temporary spool with WMBS state: one workflow, subscriptions and filesets made through `WMBSStore`.
struct WMBSFixture {
    let base: JobSpoolFixture
    let store: WMBSStore
    let workflow: String

    init(_ label: String, workflow: String = "Req_Test") throws {
        base = try JobSpoolFixture(label)
        store = WMBSStore(spool: base.spool)
        self.workflow = workflow
    }

    var spool: Spool { base.spool }

    /// Creates a subscription reading a new fileset of the same name.
    func subscribe(_ sub: Subscription, open: Bool = true) throws {
        try spool.inBatch { batch in
            try store.create(workflow: workflow, subscriptions: [sub],
                             filesets: [Fileset(name: sub.inputFileset, open: open, consumers: [sub.name])], in: batch)
        }
    }

    /// Adds files to a fileset.
    func add(_ files: [SplitFile], to fileset: String) throws {
        try spool.inBatch { batch in try store.add(files, toFileset: fileset, workflow: workflow, in: batch) }
    }

    /// Closes a fileset.
    func close(_ fileset: String) throws {
        guard var fs = try store.fileset(workflow, fileset) else { throw DocumentProblem("no fileset \(fileset)") }
        fs.open = false
        try spool.inBatch { batch in try store.save(fs, workflow: workflow, in: batch) }
    }

    /// Runs one job-creator cycle.
    @discardableResult
    func runCycle() throws -> CycleReport { try JobCreatorStage().runCycle(base.context) }

    /// File keys of a subscription in a state.
    func fileKeys(_ sub: String, _ state: FileState) throws -> Set<String> { try store.fileKeys(workflow, sub, in: state) }

    /// Every job document in one state, sorted by name.
    func jobs(in state: JobState) throws -> [JobDocument] {
        try base.jobs.scan(state).sorted().map { name in
            guard case .document(let doc) = try base.jobs.load(name, in: state) else { throw DocumentProblem("\(name) unreadable") }
            return doc
        }
    }

    /// A Processing-style subscription with sensible defaults.
    static func subscription(_ name: String, type: String = "Processing", algorithm: SplittingAlgorithm,
                             parameters: [String: JSONValue], whitelist: [String] = [], blacklist: [String] = [],
                             trust: Bool = false) -> Subscription {
        Subscription(name: name, workflow: "Req_Test", task: "/Req_Test/\(name)", taskType: type, inputFileset: "/Req_Test/\(name)-input",
                     algorithm: algorithm.rawValue, parameters: parameters, siteWhitelist: whitelist, siteBlacklist: blacklist,
                     trustSiteLists: trust, requestPriority: 120_000,
                     outputs: ["RECOoutput": SubscriptionOutput(spec: JobOutputSpec(dataTier: "RECO", dataset: "/PD/Era-v1/RECO",
                                                                                    lfnBase: "/store/unmerged/Era/PD/RECO/v1", merged: false))],
                     baggage: ["eventsPerLumi": .int(100)], timePerEvent: 2, sizePerEvent: 50, memory: 2500)
    }

    /// Files `count` of them, each with `lumis` lumis of run 1 (contiguous across files) and `events` events.
    static func files(_ count: Int, lumis: Int = 3, events: Int = 300, location: (Int) -> [String] = { _ in ["T2_CH_CERN"] },
                      prefix: String = "/store/data/Era/PD/RAW/v1") -> [SplitFile] {
        (0..<count).map { i in
            SplitFile(lfn: "\(prefix)/file\(String(format: "%05d", i)).root", size: 1000 * (i + 1), events: events,
                      locations: location(i), runs: [FileRun(run: 1, lumis: Array((i * lumis + 1)...(i * lumis + lumis)))])
        }
    }
}
