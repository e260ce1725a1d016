import Foundation
import Testing
@testable import WMCore

/// Workloads derived from requests: task tree, names (§13), datasets, LFNs and splitting defaults (§7).
@Suite struct WorkloadTests {
    @Test func taskChainTreeAndAutomaticTasks() throws {
        let run = try Support.run("TC_ProdPsi")
        let wf = run.request.name
        let names = Set(run.workload.tasks.map(\.name))
        // Task1 keeps its output (merge, cleanup, merge log-collect); Task2 reads it from the merge task.
        #expect(names.isSuperset(of: ["GenSimFull", "GenSimFullMergeFEVTDEBUGoutput", "GenSimFullCleanupUnmergedFEVTDEBUGoutput",
                                      "GenSimFullFEVTDEBUGoutputMergeLogCollect", "GenSimFullLogCollect",
                                      "Digi_2021noPU", "Reco_2021noPU", "Reco_2021noPUMergeRECOSIMoutput",
                                      "Reco_2021noPUEndOfRunDQMHarvestDQMoutput"]))
        let digi = try #require(run.workload.task(named: "Digi_2021noPU"))
        #expect(digi.path == "/\(wf)/GenSimFull/GenSimFullMergeFEVTDEBUGoutput/Digi_2021noPU")
        #expect(digi.input == .taskOutput(taskPath: "/\(wf)/GenSimFull/GenSimFullMergeFEVTDEBUGoutput", module: "Merged"))
        // Task2's FEVTDEBUGHLToutput is transient: no merge or cleanup, Task3 hangs under Task2 itself.
        #expect(!names.contains("Digi_2021noPUMergeFEVTDEBUGHLToutput"))
        #expect(!names.contains("Digi_2021noPUCleanupUnmergedFEVTDEBUGHLToutput"))
        #expect(run.workload.task(named: "Reco_2021noPU")?.path == "\(digi.path)/Reco_2021noPU")
        // Every parent comes before its children.
        for (index, task) in run.workload.tasks.enumerated() {
            if let parent = task.parentPath {
                #expect(run.workload.tasks[..<index].contains { $0.path == parent })
            }
        }
    }

    @Test func outputNamesUseAssignmentEraProcessingStringAndVersion() throws {
        var input = try Support.template("TC_ProdPsi")
        // A per-task map set with --set fills the assignment map and each task's own value.
        input.applyOverrides(Support.overrides.merging(["ProcessingString": .object([
            "GenSimFull": .string("GS_v1"), "Digi_2021noPU": .string("DI_v1"), "Reco_2021noPU": .string("RE_v1")])]) { $1 })
        #expect(input.create["ProcessingString"] == .string("DEFAULT_ProcStr"))
        #expect(input.create["Task2"]?.objectValue?["ProcessingString"] == .string("DI_v1"))
        let (create, assign) = try Support.validator.validate(input)
        let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
        let gen = try #require(workload.task(named: "GenSimFull"))
        let out = try #require(gen.outputs.first)
        #expect(out.dataset == "/RelValPsi2SToJPsiPiPi/Run3Test-GS_v1-v19/GEN-SIM")
        #expect(out.unmergedLFNBase == "/store/unmerged/Run3Test/RelValPsi2SToJPsiPiPi/GEN-SIM/GS_v1-v19")
        #expect(out.mergedLFNBase == "/store/backfill/1/Run3Test/RelValPsi2SToJPsiPiPi/GEN-SIM/GS_v1-v19")
        let reco = try #require(workload.task(named: "Reco_2021noPU"))
        #expect(reco.outputs.map(\.dataset).contains("/RelValPsi2SToJPsiPiPi/Run3Test-RE_v1-v19/GEN-SIM-RECO"))
        #expect(workload.outputDatasets.allSatisfy { DatasetName($0) != nil })
    }

    /// Issue 19: `LheInputFiles` reaches the generator's EventBased splitting (whose splitter puts it in every job's baggage).
    @Test func lheInputFilesReachTheGeneratorsSplittingAndItsJobs() throws {
        for flag in [true, false] {
            var input = try Support.template("TC_ProdPsi")
            input.applyOverrides(Support.overrides)
            var task1 = try #require(input.create["Task1"]?.objectValue)
            if flag { task1["LheInputFiles"] = .bool(true) }
            input.create["Task1"] = .object(task1)
            let (create, assign) = try Support.validator.validate(input)
            let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
            let gen = try #require(workload.task(named: "GenSimFull"))
            #expect(gen.splitting.parameters["lheInputFiles"] == .bool(flag), "LheInputFiles \(flag)")
        }
    }

    /// Issue 19: RobustMerge (default true) makes merge tasks skip bad files, as WMCore's StdBase sets skipBadFiles.
    @Test func robustMergeMakesMergeTasksSkipBadFiles() throws {
        for robust in [nil, false] as [Bool?] {
            var input = try Support.template("TC_ProdPsi")
            input.applyOverrides(Support.overrides)
            if let robust { input.create["RobustMerge"] = .bool(robust) }
            let (create, assign) = try Support.validator.validate(input)
            let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
            let merges = workload.tasks.filter { $0.type == .merge }
            #expect(!merges.isEmpty && merges.allSatisfy { $0.skipBadFiles == (robust ?? true) }, "RobustMerge \(String(describing: robust))")
            #expect(workload.tasks.filter { $0.type != .merge }.allSatisfy { $0.skipBadFiles == nil })
        }
    }

    @Test func mergeAlgorithmAndLimits() throws {
        let run = try Support.run("TC_ProdPsi")
        // Parent is Production (EventBased): ParentlessMergeBySize; processing parents are not EventBased either.
        let merges = run.workload.tasks.filter { $0.type == .merge }
        #expect(!merges.isEmpty && merges.allSatisfy { $0.splitting.algorithm == "ParentlessMergeBySize" })
        #expect(merges[0].splitting.parameters == ["min_merge_size": .int(2_147_483_648), "max_merge_size": .int(4_294_967_296),
                                                   "max_merge_events": .int(100_000_000), "max_wait_time": .int(86400)])
        let processingEventBased = WorkloadTask(name: "P", path: "/w/P", type: .processing, input: .dataset(name: "/A/B-v1/RAW", selection: InputSelection()),
                                                splitting: SplittingSpec(algorithm: "EventBased"))
        #expect(SplittingDefaults.merge(parent: processingEventBased, assignment: nil).algorithm == "WMBSMergeBySize")
        #expect(run.workload.tasks.filter { $0.type == .cleanup }.allSatisfy { $0.splitting == SplittingDefaults.cleanup })
        #expect(run.workload.tasks.filter { $0.type == .logCollect }.allSatisfy { $0.splitting.int("files_per_job") == 500 })
    }

    @Test(arguments: [
        (nil, 100, 110.0, nil, 400, 100),       // int(43200/110)=392 → multiple of 100
        (nil, nil, 12.0, nil, 3600, 3600),
        (1000, 300, 1.0, nil, 1200, 300),
        (500, nil, 1.0, nil, 500, 500),
        (nil, nil, 1.0, 100, 100, 100),          // capped by the requested events
    ] as [(Int?, Int?, Double, Int?, Int, Int)])
    func eventsPerJobDefaults(perJob: Int?, perLumi: Int?, tpe: Double, requested: Int?, expectedJob: Int, expectedLumi: Int) {
        let result = SplittingDefaults.eventsPerJobAndLumi(eventsPerJob: perJob, eventsPerLumi: perLumi, timePerEvent: tpe,
                                                            requestedEvents: requested)
        #expect(result.perJob == expectedJob && result.perLumi == expectedLumi)
    }

    @Test func reRecoProcessingDefaults() throws {
        let create = try Support.validator.validateCreate(ValidationTests.reReco.merging(["SplittingAlgo": .string("LumiBased")]) { $1 })
        let workload = try WorkloadBuilder.build(name: "wf", request: create, configCache: Support.configCache)
        let task = try #require(workload.topLevelTasks.first)
        #expect(task.name == "DataProcessing" && task.type == .processing)
        #expect(task.splitting == SplittingSpec(algorithm: "LumiBased", parameters: ["lumis_per_job": .int(8)]))
        // Not assigned: era "None"; data goes to /store/data.
        #expect(task.outputs.first?.mergedLFNBase.hasPrefix("/store/data/None/MuonEG/") == true)
        let data = try JSONEncoder().encode(workload)
        #expect(try JSONDecoder().decode(Workload.self, from: data) == workload)
    }

    @Test func harvestTasksHarvestPeriodicallyAtThePeriodicHarvestInterval() throws {
        let harvests = { (overrides: [String: JSONValue]) throws -> [WorkloadTask] in
            var input = try Support.template("TC_ProdPsi")
            input.applyOverrides(Support.overrides.merging(overrides) { $1 })
            let (create, assign) = try Support.validator.validate(input)
            let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
            return workload.tasks.filter { $0.type == .harvesting }
        }
        let periodic = try harvests(["PeriodicHarvestInterval": .int(3600)])
        #expect(!periodic.isEmpty && periodic.allSatisfy { $0.splitting.int("periodic_harvest_interval") == 3600 })
        // Absent: 0, harvest once at end of run.
        let endOfRun = try harvests([:])
        #expect(!endOfRun.isEmpty && endOfRun.allSatisfy { $0.splitting.int("periodic_harvest_interval") == 0 })
    }

    @Test func missingConfigurationIsReported() throws {
        let create = try Support.validator.validateCreate(ValidationTests.reReco)
        let error = #expect(throws: RequestRejected.self) {
            try WorkloadBuilder.build(name: "wf", request: create, configCache: InMemoryConfigCache())
        }
        #expect(error?.problems.map(\.field) == ["ConfigCacheID"])
    }
}

/// Issue 19 item 2: `Multicore` and `EventStreams` per task, as ReqMgr2 and StdBase take them.
@Suite struct WorkloadCoresTests {
    @Test func taskChainTasksTakeTheirOwnCoresAndHelperTasksOne() throws {
        let run = try Support.run("TC_ProdPsi")
        for name in ["GenSimFull", "Digi_2021noPU", "Reco_2021noPU"] {
            let task = try #require(run.workload.task(named: name))
            #expect(task.multicore == 8 && task.eventStreams == 2, "\(name): Task dict's Multicore 8, EventStreams 2")
        }
        for task in run.workload.tasks where [.merge, .cleanup, .logCollect].contains(task.type) {
            #expect(task.multicore == 1, "\(task.name) takes one core")
        }
    }

    @Test func assignmentPerTaskCoresOverrideTheTaskDicts() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        input.assign?["Multicore"] = .object(["GenSimFull": .int(4)])
        input.assign?["EventStreams"] = .object(["Reco_2021noPU": .int(0)])
        let (create, assign) = try Support.validator.validate(input)
        let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
        #expect(workload.task(named: "GenSimFull")?.multicore == 4)
        #expect(workload.task(named: "Digi_2021noPU")?.multicore == 8)
        #expect(workload.task(named: "Reco_2021noPU")?.eventStreams == 0)
    }

    @Test func stepChainJobTakesTheMostCoresOfItsSteps() throws {
        var input = try Support.template("SC_ProdPsi")
        input.applyOverrides(Support.overrides)
        var step2 = try #require(input.create["Step2"]?.objectValue)
        step2["Multicore"] = .int(16)
        input.create["Step2"] = .object(step2)
        let (create, assign) = try Support.validator.validate(input)
        let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
        let task = try #require(workload.topLevelTasks.first)
        #expect(task.multicore == 16, "Step2's 16 cores, the most of the three steps")
        #expect(task.eventStreams == 2)
    }

    @Test func coresAndStreamsOutOfRangeAreRefusedNamingTheField() throws {
        for (key, value) in [("Multicore", 0), ("Multicore", 1025), ("EventStreams", -1)] {
            var input = try Support.template("TC_ProdPsi")
            input.applyOverrides(Support.overrides)
            var task1 = try #require(input.create["Task1"]?.objectValue)
            task1[key] = .int(value)
            input.create["Task1"] = .object(task1)
            do {
                _ = try Support.validator.validate(input)
                Issue.record("\(key) \(value) was accepted")
            } catch {
                #expect(error.problems.contains { $0.field.hasSuffix(key) && $0.value == String(value) }, "\(key) \(value): \(error.problems)")
            }
        }
    }
}
