import Foundation
import JobSplitting
import Testing
@testable import WMCore

/// The typed names of the domain: task types, batch states, WMBS file states, job names.
@Suite struct DomainTypeTests {
    @Test func taskTypesAreTheStoredNames() throws {
        #expect(TaskType.allCases.map(\.rawValue).sorted()
                == ["Cleanup", "Express", "Harvesting", "LogCollect", "Merge", "Processing", "Production", "Repack", "Skim"])
        // Encoded as the bare name, as subscriptions and workloads store it.
        #expect(String(decoding: try JSONEncoder().encode([TaskType.logCollect]), as: UTF8.self) == #"["LogCollect"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([TaskType].self, from: Data(#"["MonteCarlo"]"#.utf8)) }
    }

    @Test func taskTypeRulesMatchWMCore() {
        #expect(Set(TaskType.allCases.filter(\.isIO)) == [.merge, .cleanup, .harvesting, .logCollect])
        #expect(Set(TaskType.allCases.filter { !$0.keepsFailedWorkInACDC }) == [.logCollect, .cleanup])
        #expect(Set(TaskType.allCases.filter { !$0.reportsItsOutputModules }) == [.logCollect, .cleanup, .harvesting])
        let priorities = Dictionary(uniqueKeysWithValues: TaskType.allCases.map { ($0.rawValue, $0.submitPriority) })
        #expect(priorities == ["Processing": 0, "Production": 0, "Express": 0, "Repack": 0, "Cleanup": 1, "LogCollect": 2,
                               "Skim": 3, "Merge": 4, "Harvesting": 5])
    }

    @Test func documentsKeepUnknownTaskTypesAndTypeTheKnownOnes() {
        var sub = Subscription(name: "M", workflow: "wf", task: "/wf/P/M", taskType: "Merge", inputFileset: "f", algorithm: "ParentlessMergeBySize",
                               requestPriority: 7)
        #expect(sub.knownTaskType == .merge && sub.jobPriority == 40_000_007)
        sub.taskType = "MonteCarlo"
        #expect(sub.knownTaskType == nil && sub.taskType == "MonteCarlo" && sub.jobPriority == 7)
        let job = JobBody(name: "j-1", workflow: "wf", task: "/wf/P", taskType: "Skim", subscription: "P", inputFiles: [])
        #expect(job.knownTaskType == .skim)
    }

    @Test func stepModesComeFromTheTaskType() throws {
        #expect(try StepMode(taskType: "Express") == StepMode(.express))
        #expect(StepMode(.logCollect) == .logCollect && StepMode(.harvesting) == .harvest && StepMode(.production) == .generate)
        #expect(throws: RuntimePlanError.unknownTaskType("merge")) { try StepMode(taskType: "merge") }
    }

    @Test func drainingSitesTakeOnlyIOJobs() {
        let site = Site(name: "T2_A", state: .draining, stateTime: 0, slots: SlotLimits(pendingSlots: 1, runningSlots: 1),
                        compute: ComputeSettings(plugin: "local"), storageElement: "T2_A")
        let configuration = SiteConfiguration(sites: [site])
        for (type, goes) in [("Merge", true), ("LogCollect", true), ("Processing", false), ("MonteCarlo", false)] {
            var sent = false
            if case .sites = SiteSelection.candidates(possibleSites: ["T2_A"], taskType: type, configuration: configuration, now: 10) { sent = true }
            #expect(sent == goes, "a \(type) job at a Draining site")
        }
    }

    @Test func batchStatesAreBossAirNames() {
        #expect(BatchState.allCases.map(\.rawValue) == ["Pending", "Running", "Complete", "Error", "Timeout"])
        #expect(BatchState.allCases.filter(\.occupiesSite) == [.pending, .running])
        #expect(BatchState(rawValue: "running") == nil)
    }

    @Test func fileStatesAreTheSubscriptionFolders() {
        #expect(FileState.allCases.map(\.rawValue) == ["available", "acquired", "completed", "failed"])
        #expect(FileState(rawValue: "Available") == nil)
    }
}

/// Job names and attempt keys.
@Suite struct JobNameTests {
    @Test func jobNamesAreMadeAndReadBack() {
        let name = JobName.make(workflowKey: "0a1b2c3d", subscription: "GenSim-Merge", number: 42)
        #expect(name == "0a1b2c3d-GenSim-Merge-000042")
        #expect(JobName.numberText(of: name) == "000042" && JobName.number(of: name) == 42)
        #expect(JobName.subscriptionPrefix(of: name) == "0a1b2c3d-GenSim-Merge")
        #expect(JobName.subscriptionPrefix(workflowKey: "0a1b2c3d", subscription: "GenSim-Merge") == "0a1b2c3d-GenSim-Merge")
        #expect(JobName.make(workflowKey: "k", subscription: "s", number: 1_234_567) == "k-s-1234567")
    }

    @Test func oddJobNamesReadAsWhatTheyAre() {
        #expect(JobName.numberText(of: "job1") == "job1" && JobName.number(of: "job1") == nil)
        #expect(JobName.subscriptionPrefix(of: "job1") == nil)
        #expect(JobName.number(of: "a-b-x7") == nil)
    }

    @Test func attemptKeysRoundTrip() throws {
        let key = AttemptKey(job: "0a1b2c3d-Proc-000003", retry: 2)
        #expect(key.description == "0a1b2c3d-Proc-000003-2")
        #expect(AttemptKey(parsing: key.description) == key)
        #expect(AttemptKey(parsing: "job-0")?.job == "job" && AttemptKey(parsing: "job-0")?.retry == 0)
        for bad in ["job", "job-", "job-x", "-"] { #expect(AttemptKey(parsing: bad) == nil, "\(bad)") }
        let body = JobBody(name: "w-P-000001", workflow: "w", task: "/w/P", taskType: "Processing", subscription: "P", inputFiles: [])
        #expect(body.submissionKey == "w-P-000001-0")
    }
}
