import Foundation
import JobSplitting
import Testing
@testable import WMCore

@Suite struct DocumentTests {
    func sampleJob() -> JobDocument {
        JobDocument(JobBody(name: "j", workflow: "wf", task: "/wf/T", taskType: "Processing", subscription: "s",
                            inputFiles: [SplitFile(lfn: "/store/a.root", events: 10, runs: [FileRun(run: 1, lumis: [1, 2])])],
                            mask: JobMask(firstEvent: 1, lastEvent: 10)))
    }

    @Test func unknownKeysSurviveARoundTrip() throws {
        var object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(sampleJob())) as! [String: Any]
        object["comment"] = "waiting for site fix"
        object["operatorTags"] = ["a", 1, ["nested": true]]
        let decoded = try JSONDecoder().decode(JobDocument.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(decoded.extra["comment"] == .string("waiting for site fix"))
        let again = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(decoded)) as! [String: Any]
        #expect(again["comment"] as? String == "waiting for site fix")
        #expect((again["operatorTags"] as? [Any])?.count == 3)
        #expect(again["workflow"] as? String == "wf")
    }

    @Test func jobStateTableIsWMCoresExactly() {
        #expect(JobState.allCases.count == 18)
        #expect(JobState.allCases.filter(\.isFinal) == [.cleanout])
        let expected: [JobState: Set<JobState>] = [
            .new: [.created, .createfailed, .killed],
            .created: [.executing, .submitfailed, .createfailed, .killed],
            .executing: [.complete, .jobfailed, .killed],
            .complete: [.jobfailed, .success],
            .jobfailed: [.jobcooloff, .retrydone, .killed],
            .submitcooloff: [.created, .submitpaused, .retrydone, .killed],
            .createpaused: [.created, .retrydone, .killed],
            .success: [.cleanout], .retrydone: [.exhausted, .killed], .exhausted: [.cleanout],
            .killed: [.cleanout, .killed],
        ]
        for (state, next) in expected { #expect(state.successors == next, "\(state)") }
    }

    @Test func transitionsAreRecordedAndIllegalOnesRefused() throws {
        var job = sampleJob()
        try job.transition(to: .created, actor: "wm-jobcreator", reason: "split", at: 1.25)
        try job.transition(to: .executing, actor: "wm-jobsubmitter", reason: "submitted", at: 2.5)
        try job.transition(to: .jobfailed, actor: "wm-jobtracker", reason: "exit 8028", at: 3.75)
        try job.transition(to: .jobcooloff, actor: "wm-errorhandler", reason: "retry", at: 4)
        #expect(job.retryCount == 0)
        try job.transition(to: .created, actor: "wm-retrymanager", reason: "cool-off over", at: 5)
        #expect(job.retryCount == 1, "leaving a cool-off state adds one retry")
        #expect(job.history.map(\.to) == ["created", "executing", "jobfailed", "jobcooloff", "created"])
        #expect(job.history[0].time == 1.25)
        #expect(throws: StateError.illegalTransition(kind: "JobState", from: "created", to: "success")) {
            try job.transition(to: .success, actor: "x", reason: "y", at: 6)
        }
        try job.transition(to: .killed, actor: "wmctl", reason: "abort", at: 7)
        #expect(job.retryCount == 1 + 99999)
        #expect(StateError.illegalTransition(kind: "JobState", from: "created", to: "success").description.contains("created → success"))
    }

    @Test func requestAndElementTables() {
        #expect(RequestStatus.allCases.count == 19)
        #expect(RequestStatus.new.successors == [.new, .assignmentApproved, .rejected])
        #expect(RequestStatus.runningClosed.successors == [.forceComplete, .completed, .aborted])
        #expect(RequestStatus.allCases.filter(\.isFinal) == [.abortedArchived, .rejectedArchived])
        #expect(!RequestStatus.new.canMove(to: .completed))
        #expect(ElementStatus.allCases.count == 8)
        #expect(ElementStatus.cancelRequested.successors == [.canceled])
    }
}
