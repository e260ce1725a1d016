import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WorkerRuntime
@testable import WMCore

/// The one work-directory definition (`JobWorkDirectory`): every user finds an attempt in the same place,
/// also for a name outside the spool's safe set.
@Suite struct WorkDirectoryTests {
    /// A workflow name that needs encoding: a space, a slash and `..` (unencoded it would add levels below
    /// `work/` and climb out of the workflow's folder).
    static let workflow = "hand made/../wf"
    static let encodedWorkflow = "hand%20made%2F%2E%2E%2Fwf"

    @Test func namesOutsideTheSafeSetAreOneEncodedComponentAndDecodeBack() {
        #expect(JobWorkDirectory.pathComponent(Self.workflow) == Self.encodedWorkflow)
        #expect(JobWorkDirectory.pathComponent("Req_A+B=C@D,E-1.0") == "Req_A+B=C@D,E-1.0")  // safe: unchanged
        #expect(JobWorkDirectory.pathComponent(".hidden") == "%2Ehidden")
        #expect(JobWorkDirectory.pathComponent("") == "%")
        for name in [Self.workflow, "a b-c", "é/ü", "", ".x", "plain-name"] {
            #expect(JobWorkDirectory.decodedComponent(JobWorkDirectory.pathComponent(name)) == name)
            let folder = JobWorkDirectory.folderName(job: name, retry: 7)
            #expect(!folder.contains("/"))
            #expect(JobWorkDirectory.attempt(folderName: folder).map { "\($0.job)|\($0.retry)" } == "\(name)|7")
        }
        #expect(JobWorkDirectory.attempt(folderName: "no-retry-here") == nil)
    }

    @Test func submitterTrackerAccountantArchiverAndWrapperAgreeForAWorkflowNameThatNeedsEncoding() throws {
        let fx = try ExecutionFixture("workdir-encoded", sites: [ExecutionFixture.localSite("T2_CH_CERN")])
        try fx.addJob("job1", sites: ["T2_CH_CERN"], workflow: Self.workflow)
        let runjob = try fx.writeRunjob("echo '<FrameworkJobReport/>' > \"$dir/Report.0.xml\"")
        #expect(try JobSubmitterStage(runjobPath: runjob).runCycle(fx.context()).done == 1)
        let executing = try fx.job("job1", .executing)
        let work = JobWorkDirectory(spool: fx.spool, job: executing.body)
        #expect(work.relativePath == "work/\(Self.encodedWorkflow)/job1-0")
        #expect(work.path == fx.spool.path("work/\(Self.encodedWorkflow)/job1-0"))
        // The submitter made it there (the plugin runs the payload in it), with the spool root in runtime.json.
        #expect(SystemCall.exists(work.path + "/job.json"))
        let runtime = try JSONDecoder().decode(JobRuntime.self, from: Data(contentsOf: URL(fileURLWithPath: work.path + "/runtime.json")))
        #expect(runtime.spool == fx.spool.root)
        // The wrapper's way back to the spool root, without runtime.json's spool, lands on the same root.
        let derived = JobWorkDirectory.spoolRoot(ofWorkDirectory: work.path)
        #expect(URL(fileURLWithPath: derived).standardizedFileURL == URL(fileURLWithPath: fx.spool.root).standardizedFileURL)
        #expect(JobRuntime().resolvedSpool(defaultSpool: derived) == derived)
        // The wrapper reads the attempt from the folder name until job.json is read.
        let attempt = WrapperAttempt(workDirectory: work.path, start: Date())
        #expect(attempt.report.wrapper.jobName == "job1" && attempt.retry == 0)
        // The tracker finds the report the payload left there and completes the job.
        try fx.trackUntilDone("job1", tracker: JobTrackerStage())
        let done = try fx.job("job1", .complete)
        #expect(SystemCall.exists(JobWorkDirectory(spool: fx.spool, job: done.body).reportPath))
        // The accountant and fsck read JobWorkDirectory(spool:job:), the archiver lists the same folder.
        #expect(JobWorkDirectory(spool: fx.spool, workflow: Self.workflow, job: "job1", retry: 0).reportPath == work.reportPath)
        #expect(try AttemptDirectories(spool: fx.spool).of(workflow: Self.workflow, job: "job1") == [work.relativePath])
        let cleanout = try JobCleanout(job: done.body, spool: fx.spool, attempts: AttemptDirectories(spool: fx.spool))
        #expect(cleanout.attempts == [work.relativePath])
        #expect(cleanout.tarFolder == "archive/logs/h/\(Self.encodedWorkflow)/JobCluster_0")
        // Nothing was made where the unencoded name would have put it.
        #expect(!SystemCall.exists(fx.spool.path("work/hand made")) && !SystemCall.exists(fx.spool.path("work/wf")))
    }
}
