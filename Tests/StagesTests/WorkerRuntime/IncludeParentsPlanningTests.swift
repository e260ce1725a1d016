import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import WMCore

/// `IncludeParents`: a processing job's input files' parents become the step's secondary inputs.
@Suite struct IncludeParentsPlanningTests {
    func planner() -> StepPlanner {
        var counter = 0
        return StepPlanner(defaultSpool: "/spool", storageFolder: "storage", runtime: JobRuntime(),
                           now: Date(timeIntervalSince1970: 1_700_000_000)) {
            counter += 1
            return String(format: "GUID-%04d", counter)
        }
    }

    func job(includeParents: Bool?) -> JobBody {
        let inputs = [SplitFile(lfn: "/store/data/A/AOD/v1/child1.root", events: 10, locations: ["T2_CH_CERN"],
                                parents: ["/store/data/A/RAW/v1/parent1.root", "/store/data/A/RAW/v1/parent2.root"]),
                      SplitFile(lfn: "/store/data/A/AOD/v1/child2.root", events: 10, locations: ["T2_CH_CERN"],
                                parents: ["/store/data/A/RAW/v1/parent2.root"])]
        var job = JobBody(name: "job-7", workflow: "WF", task: "/WF/Task", taskType: "Processing", subscription: "s",
                          inputFiles: inputs,
                          outputs: ["A": JobOutputSpec(dataTier: "AOD", dataset: "/A/B/AOD", lfnBase: "/store/unmerged/E/P/AOD/v1", merged: false)])
        job.includeParents = includeParents
        return job
    }

    @Test func parentsOfEveryInputAreReadOnceAsSecondaryInputs() throws {
        let config = try planner().plan(job(includeParents: true))
        let secondary = try #require(config.secondaryInputs)
        #expect(secondary.map(\.lfn) == ["/store/data/A/RAW/v1/parent1.root", "/store/data/A/RAW/v1/parent2.root"])
        #expect(secondary.map(\.guid) == ["parent1", "parent2"])
        // Read from the storage its child is read from.
        let childPrefix = config.inputs[0].pfn.dropLast(config.inputs[0].lfn.count)
        #expect(secondary.map(\.pfn) == secondary.map { childPrefix + $0.lfn })
        #expect(secondary.allSatisfy { $0.confinementProblem == nil })
    }

    @Test func withoutIncludeParentsNoParentIsRead() throws {
        #expect(try planner().plan(job(includeParents: nil)).secondaryInputs == nil)
        #expect(try planner().plan(job(includeParents: false)).secondaryInputs == nil)
    }
}
