import Foundation
import JobSplitting
import SpoolKit
import Benchmarks
import Commands
import SpoolLayout
import Stages
import WMCore

/// The "with job documents written durably" variant: the real `JobCreatorStage` on a temporary spool
/// (durability full) — reading the subscription's file documents, splitting, writing the job-group
/// record and every job document, moving the files to `acquired/` — timed from the cycle's start to its end.
enum DurableRun {
    /// Builds a fresh spool holding the case's subscription and files (outside the timing), runs one cycle.
    ///
    /// Spools are removed by the caller at the end (`roots`): ext4 allocates inodes slowly for a while
    /// after mass deletions, which would slow the next case's document writes.
    static func measure(_ c: BenchCase, repeats: Int, under parent: String, roots: inout [String], verbose: Bool) throws -> BenchResult {
        var times: [Double] = []
        var jobs = 0
        for _ in 0..<repeats {
            let root = parent + "/wm-bench-split-\(getpid())-\(UUID().uuidString.prefix(8))"
            roots.append(root)
            try populate(c, root: root)
            sync()  // the setup's files reach the disk outside the timing (the cycle's syncfs would flush them)
            let spool = try Spool(root: root, durability: .full)
            var options = StageOptions(environment: [:])
            options.spoolPath = root
            let context = StageContext(spool: spool, options: options, log: Logger(component: "bench", sink: { if verbose { print($0) } }),
                                       now: { c.context.now })
            let start = DispatchTime.now().uptimeNanoseconds
            let report = try JobCreatorStage().runCycle(context)
            let end = DispatchTime.now().uptimeNanoseconds
            jobs = report.done
            times.append(Double(end - start) / 1e9)
        }
        return BenchResult(c, mode: "durable", jobs: jobs, times: times)
    }

    static let workflow = "Bench_Workflow"

    /// Writes the subscription, its closed fileset and the files (no fsync: setup only).
    static func populate(_ c: BenchCase, root: String) throws {
        let spool = try Spool(root: root, durability: .none)
        let store = WMBSStore(spool: spool)
        var parameters = c.parameters.values
        let perf = parameters.removeValue(forKey: "performance")?.objectValue ?? [:]
        let fileset = "/\(workflow)/Task-input"
        let sub = Subscription(name: "Task", workflow: workflow, task: "/\(workflow)/Task", taskType: c.context.subscriptionType.rawValue,
                               inputFileset: fileset, algorithm: c.algorithm.rawValue, parameters: parameters,
                               timePerEvent: perf["timePerEvent"]?.coercedDouble ?? 1, sizePerEvent: perf["sizePerEvent"]?.coercedDouble ?? 1,
                               memory: perf["memoryRequirement"]?.coercedDouble ?? 2000)
        try spool.inBatch { batch in
            try store.create(workflow: workflow, subscriptions: [sub], filesets: [Fileset(name: fileset, open: false, consumers: [sub.name])], in: batch)
        }
        var start = 0
        while start < c.files.count {
            let chunk = Array(c.files[start..<min(c.files.count, start + 5000)])
            try spool.inBatch { batch in try store.add(chunk, toFileset: fileset, workflow: workflow, in: batch, new: Set(chunk.map(\.lfn))) }
            start += chunk.count
        }
    }
}
