import Foundation
import JobSplitting
import Testing
import TestSupport
@testable import WMCore

/// Step planning (pure), LFN rules, and names that try to inject shell commands.
@Suite struct RuntimePlanningTests {
    static let date = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 UTC

    func planner(_ runtime: JobRuntime = JobRuntime()) -> StepPlanner {
        var counter = 0
        return StepPlanner(defaultSpool: "/spool", storageFolder: "storage", runtime: runtime, now: Self.date) {
            counter += 1
            return String(format: "GUID-%04d", counter)
        }
    }

    func job(_ type: String, name: String = "job-2345", baggage: [String: JSONValue] = [:], mask: JobMask = JobMask(),
             inputs: [SplitFile] = []) -> JobBody {
        JobBody(name: name, workflow: "WF", task: "/WF/Task", taskType: type, subscription: "s", inputFiles: inputs,
                mask: mask, baggage: baggage,
                outputs: ["B": JobOutputSpec(dataTier: "RECO", dataset: "/A/B/RECO", lfnBase: "/store/unmerged/E/P/RECO/v1/", merged: false, filterMask: 4),
                          "A": JobOutputSpec(dataTier: "AOD", dataset: "/A/B/AOD", lfnBase: "/store/unmerged/E/P/AOD/v1", merged: false)])
    }

    @Test func lfnGroupsFollowWMCore() {
        #expect(LFNNaming.outputGroup(agentNumber: 0, counter: 0) == "00000")
        #expect(LFNNaming.outputGroup(agentNumber: 1, counter: 12_345) == "10012")
        #expect(LFNNaming.logArchiveGroup(counter: 2345) == "0002")
        #expect(LFNNaming.counter(jobName: "a1b2-c3-17", baggage: [:]) == 17)
        #expect(LFNNaming.counter(jobName: "a1b2-c3-17", baggage: ["lfnCounter": .int(4000)]) == 4000)
        #expect(LFNNaming.counter(jobName: "nonumber", baggage: [:]) == 0)
        #expect(LFNNaming.logArchiveLFN(unmergedBase: "/store/unmerged", date: Self.date, taskPath: "/WF/Task", group: "0002",
                                        retry: 3, jobName: "job-2345")
                == "/store/unmerged/logs/prod/2023/11/14/WF/Task/0002/3/job-2345-3-logArchive.tar.gz")
        #expect(LFNNaming.logCollectLFN(date: Date(timeIntervalSince1970: 1_680_000_000), workflow: "WF", jobName: "lc-1")
                == "/store/logs/prod/2023/03/WMAgent/WF/WF-lc-1-logs.tar")
    }

    @Test func taskTypesMapToModes() throws {
        let expected: [String: StepMode] = ["Production": .generate, "Processing": .process, "Skim": .process,
                                            "Express": .express, "Merge": .merge, "Repack": .repack,
                                            "Harvesting": .harvest, "Cleanup": .cleanup, "LogCollect": .logCollect]
        for (type, mode) in expected { #expect(try StepMode(taskType: type) == mode) }
        #expect(throws: RuntimePlanError.unknownTaskType("MonteCarlo")) { try StepMode(taskType: "MonteCarlo") }
    }

    @Test func productionPlanDerivesEventsPerLumiAndNamesOutputs() throws {
        let mask = JobMask(firstEvent: 101, lastEvent: 200, firstLumi: 5, lastLumi: 8)
        let config = try planner().plan(job("Production", baggage: ["seed": .int(9), "agentNumber": .int(1)], mask: mask))
        #expect(config.mode == .generate)
        #expect(config.generation == GenerationSettings(run: 1, firstEvent: 101, lastEvent: 200, firstLumi: 5, lastLumi: 8,
                                                        eventsPerLumi: 25, seed: 9))
        #expect(config.payloadSize == 64)
        #expect(config.outputs.map(\.label) == ["A", "B"])
        #expect(config.outputs.map(\.lfn) == ["/store/unmerged/E/P/AOD/v1/10002/GUID-0001.root",
                                              "/store/unmerged/E/P/RECO/v1/10002/GUID-0002.root"])
        #expect(config.outputs.map(\.triggerMask) == [0, 4])
        #expect(config.outputs.map(\.localFile) == ["output0.root", "output1.root"])
        #expect(throws: RuntimePlanError.self) { try planner().plan(job("Production", mask: JobMask())) }
        #expect(throws: RuntimePlanError.self) {
            try planner().plan(job("Production", baggage: ["sizePerEvent": .string("big")], mask: mask))
        }
    }

    @Test func inputsResolveThroughTheirLocations() throws {
        let runtime = JobRuntime(spool: "/s", pnn: "T2_CH_CERN", storagePrefix: "/local",
                                 inputPrefixes: ["T1_US_FNAL_Disk": "/fnal"])
        let inputs = [SplitFile(lfn: "/store/a/X.root", locations: ["T2_CH_CERN", "T1_US_FNAL_Disk"]),
                      SplitFile(lfn: "/store/b/Y.root", locations: ["T1_US_FNAL_Disk"]),
                      SplitFile(lfn: "/store/c/Z.root", locations: ["T2_DE_DESY"])]
        let config = try planner(runtime).plan(job("Processing", inputs: inputs))
        #expect(config.inputs.map(\.pfn) == ["/local/store/a/X.root", "/fnal/store/b/Y.root", "/s/storage/T2_DE_DESY/store/c/Z.root"])
        #expect(config.inputs.map(\.guid) == ["X", "Y", "Z"])
        #expect(JobRuntime(spool: "/s", site: "T1_X").resolvedStoragePrefix(defaultSpool: "/w", storageFolder: "storage", jobSite: nil) == "/s/storage/T1_X")
        #expect(JobRuntime().resolvedStoragePrefix(defaultSpool: "/sp", storageFolder: "storage", jobSite: "T3_Y") == "/sp/storage/T3_Y")
        #expect(JobRuntime().resolvedWallTimeLimit(estimatedTime: 100) == 300)
        #expect(JobRuntime(wallTimeLimit: 5).resolvedWallTimeLimit(estimatedTime: 100) == 5)
    }

    @Test func repackMasksComeFromTheDatasetsBaggage() throws {
        let config = try planner().plan(job("Repack", baggage: ["datasets": .object(["A": .int(3), "B": .int(0)])]))
        #expect(config.outputs.map(\.triggerMask) == [3, 0])
        #expect(throws: RuntimePlanError.invalidField(field: "baggage.datasets.A", expected: "an integer trigger mask, got \"x\"")) {
            try planner().plan(job("Repack", baggage: ["datasets": .object(["A": .string("x")])]))
        }
    }

    @Test func shellMetacharactersInNamesCannotInjectCommands() throws {
        let fixture = RuntimeFixture("inject")
        let marker = fixture.spool + "/PWNED"
        let evil = "$(touch \(marker))`touch \(marker)`;touch \(marker)|'\"&"
        let workflow = "WF" + evil.replacingOccurrences(of: "/", with: "_")
        var job = fixture.job("-rf " + evil.replacingOccurrences(of: "/", with: "_") + "-7", type: "Production", workflow: workflow,
                              task: "/\(workflow)/Gen --checkpoint-action=exec=touch",
                              mask: RuntimeFixture.productionMask(1, 10, lumis: 1...1),
                              outputs: ["RAW;touch x": RuntimeFixture.spec("GEN-SIM", base: "/store/unmerged/$(id)/a b/'q'")])
        job.baggage["unmergedLFNBase"] = .string("/store/unmerged/`touch \(marker)`")
        let run = try fixture.run(job)
        #expect(run.status == 0, "\(run.stderr)")
        let file = try #require(run.output("RAW;touch x"))
        #expect(file.lfn.hasPrefix("/store/unmerged/$(id)/a b/'q'/00000/"))
        #expect(FileManager.default.fileExists(atPath: file.pfn))
        let log = try #require(run.output("logArchive"))
        #expect(log.lfn.contains("`touch"))
        #expect(FileManager.default.fileExists(atPath: log.pfn))
        #expect(!FileManager.default.fileExists(atPath: marker))
        let leftovers = FileManager.default.enumerator(atPath: fixture.spool)?.compactMap { $0 as? String } ?? []
        #expect(!leftovers.contains { ($0 as NSString).lastPathComponent == "PWNED" || ($0 as NSString).lastPathComponent == "x" })
    }
}
