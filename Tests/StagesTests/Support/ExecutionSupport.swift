import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import Commands
@testable import SpoolLayout
@testable import Stages
import Agent
@testable import WMCore

/// A temporary spool with sites, created jobs and a fake job wrapper, for the execution tests.
struct ExecutionFixture {
    let spool: Spool
    let jobs: DocumentArea<JobBody>
    let log = LogCapture()

    init(_ label: String, sites: [Site]) throws {
        spool = try Spool(root: TestSupport.temporaryDirectory(label), durability: .none)
        jobs = Areas.jobs(spool)
        try jobs.ensureFolders()
        try ExecutionLayout.saveSiteConfiguration(SiteConfiguration(sites: sites), spool: spool)
        // The agent's configuration, as `wmagent init` writes it (the submitter reads its failure-rate limit).
        try spool.ensureDirectories([Layout.configuration])
        try Data(EmbeddedDefaults.agentJSON.utf8).write(to: URL(fileURLWithPath: spool.path(Layout.agentConfiguration)))
    }

    static func localSite(_ name: String, state: SiteState = .normal, stateTime: Double = SystemCall.now(),
                          pending: Int = 50, running: Int = 50, slots: Int = 4) -> Site {
        Site(name: name, state: state, stateTime: stateTime, slots: SlotLimits(pendingSlots: pending, runningSlots: running),
             compute: ComputeSettings(plugin: "local", slots: slots), storageElement: name)
    }

    /// Publishes a job in `created/`.
    func addJob(_ name: String, sites: [String], taskType: String = "Processing", task: String = "/wf/Proc",
                workflow: String = "wf", priority: Int = 0, cores: Int? = nil) throws {
        var job = JobDocument(JobBody(name: name, workflow: workflow, task: task, taskType: taskType, subscription: "s1",
                                      inputFiles: [SplitFile(lfn: "/store/x.root", events: 10)], possibleSites: sites, priority: priority))
        job.numberOfCores = cores
        try job.transition(to: .created, actor: "test", reason: "setup", at: 0)
        try spool.publish(try jobs.encode(job), as: name + ".json", in: jobs.folder(.created))
    }

    /// Writes an executable job wrapper running `body` (with `$dir` the job's work directory).
    func writeRunjob(_ body: String) throws -> String {
        let path = spool.root + "/fake-runjob.sh"
        let text = "#!/bin/sh\ndir=$(dirname \"$2\")\n" + body + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o755]) else {
            throw DocumentProblem("cannot write \(path)")
        }
        return path
    }

    func context(batch: Int = 500) -> StageContext {
        var options = StageOptions(environment: [:])
        options.spoolPath = spool.root
        options.batchSize = batch
        return StageContext(spool: spool, options: options, log: Logger(component: "test", sink: log.append))
    }

    func names(_ state: JobState) throws -> [String] { try jobs.scan(state) }

    func job(_ name: String, _ state: JobState) throws -> JobDocument {
        guard case .document(let doc) = try jobs.load(name, in: state) else { throw DocumentProblem("\(name) not in \(state.rawValue)") }
        return doc
    }

    /// Runs tracker cycles until `name` leaves `executing/` or `seconds` pass.
    func trackUntilDone(_ name: String, tracker: JobTrackerStage, seconds: Double = 20) throws {
        let end = SystemCall.now() + seconds
        while SystemCall.now() < end {
            _ = try tracker.runCycle(context())
            if !(try names(.executing)).contains(name) { return }
            usleep(100_000)
        }
    }
}

/// A batch plugin that records calls and answers with set statuses (no processes).
final class RecordingPlugin: BatchPlugin, @unchecked Sendable {
    var submitted: [BatchSubmission] = []
    var statuses: [String: BatchStatus] = [:]
    var killed: [String] = []

    func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>] {
        submitted += submissions
        return submissions.map { .success("fake-" + $0.key) }
    }
    func status(_ ids: [String]) throws -> [String: BatchStatus] {
        Dictionary(uniqueKeysWithValues: ids.map { ($0, statuses[$0] ?? .pending) })
    }
    func kill(_ ids: [String]) throws { killed += ids }
    func findSubmissions(_ keys: [String]) throws -> [String: String] {
        var found: [String: String] = [:]
        for s in submitted where keys.contains(s.key) { found[s.key] = "fake-" + s.key }
        return found
    }
}
