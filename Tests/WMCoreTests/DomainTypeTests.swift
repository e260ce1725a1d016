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
