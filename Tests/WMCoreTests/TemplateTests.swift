import Foundation
import Testing
@testable import WMCore

/// Every ReqMgr2 template in Fixtures goes through the whole chain and yields the elements its policy implies.
@Suite struct TemplateTests {
    @Test(arguments: Support.templates)
    func templateWithPlaceholdersIsRefusedWithHowToFill(name: String) throws {
        let input = try Support.template(name)
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        let problems = try #require(error).problems
        #expect(problems.contains { $0.field == "assignRequest.Team" && $0.expected.contains("--set Team=Value (e.g. --set Team=production)") })
        #expect(problems.contains { $0.field == "createRequest.RequestString" })
        #expect(problems.contains { $0.field.hasPrefix("assignRequest.SiteWhitelist") })
    }

    @Test func perTaskPlaceholderNamesTheMapKey() throws {
        let input = try Support.template("TC_ProdPsi")
        let problems = input.placeholderProblems
        let era = try #require(problems.first { $0.field == "assignRequest.AcquisitionEra.GenSimFull" })
        #expect(era.expected.contains("--set AcquisitionEra="))
    }

    @Test func overridesFillPerTaskMapsAndChainItems() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(["AcquisitionEra": .string("Run3Test"), "Team": .string("production"),
                              "SiteWhitelist": .string("T1_US_FNAL,T2_CH_CERN"), "NewKey": .int(3), "Dashboard": .string("test")])
        #expect(input.assign?["AcquisitionEra"] == .object(["Digi_2021noPU": .string("Run3Test"),
                                                             "GenSimFull": .string("Run3Test"),
                                                             "Reco_2021noPU": .string("Run3Test")]))
        #expect(input.create["AcquisitionEra"] == .string("Run3Test"))
        #expect(input.create["Task2"]?.objectValue?["AcquisitionEra"] == .string("Run3Test"))
        #expect(input.assign?["Team"] == .string("production"))
        #expect(input.assign?["SiteWhitelist"] == .array([.string("T1_US_FNAL"), .string("T2_CH_CERN")]))
        #expect(input.create["NewKey"] == .int(3))
        #expect(RequestInput.parseSetting("SiteWhitelist=[\"T1_US_FNAL\"]")?.value == .array([.string("T1_US_FNAL")]))
        #expect(RequestInput.parseSetting("Team=production")?.value == .string("production"))
        #expect(RequestInput.parseSetting("RequestPriority=5000")?.value == .int(5000))
    }

    /// TC_ProdPsi: Task1 EventsPerLumi 100, TimePerEvent 110 → int(43200/110) = 392 → rounded up to a multiple
    /// of 100 = 400 events per job; 10000 events < 400 × 1000 → 1 element, 25 jobs,
    /// lumis = floor(10000/400) × ceil(400/100) + ceil(0/100) = 100; events 10001-20000, lumis 101-200.
    @Test func taskChainProdPsi() throws {
        let run = try Support.run("TC_ProdPsi")
        #expect(run.elements.count == 1)
        let e = try #require(run.elements.first)
        #expect(e.jobs == 25)
        #expect(e.numberOfEvents == 10000)
        #expect(e.numberOfLumis == 100)
        #expect(e.mask?.firstEvent == 10001 && e.mask?.lastEvent == 20000)
        #expect(e.mask?.firstLumi == 101 && e.mask?.lastLumi == 200)
        #expect(e.priority == 600000)
        #expect(e.teamName == "production")
        #expect(e.siteWhitelist == ["T1_US_FNAL", "T2_CH_CERN"])
        #expect(e.startPolicy == "MonteCarlo")
        #expect(e.taskName == "/\(run.request.name)/GenSimFull")
        // Workload: Task2 (480 = 43200/90) and Task3 (720 = 43200/60) EventAwareLumiBased events per job.
        #expect(run.workload.task(named: "Digi_2021noPU")?.splitting.int("events_per_job") == 480)
        #expect(run.workload.task(named: "Reco_2021noPU")?.splitting.int("events_per_job") == 720)
        #expect(run.workload.task(named: "GenSimFull")?.splitting.parameters == ["events_per_job": .int(400), "events_per_lumi": .int(100),
                                                                                         "lheInputFiles": .bool(false)])
    }

    /// SC_ProdPsi: Step1 EventsPerLumi 100, TimePerEvent 40 (top level) → 1080 → 1100 events per job
    /// (the template says "EventBased splitting with 1100EpJ"); 10000 events → 1 element,
    /// ceil(10000/1100) = 10 jobs, lumis = 9 × 11 + ceil(100/100) = 100.
    @Test func stepChainProdPsi() throws {
        let run = try Support.run("SC_ProdPsi")
        #expect(run.elements.count == 1)
        let e = try #require(run.elements.first)
        #expect(e.jobs == 10)
        #expect(e.numberOfLumis == 100)
        #expect(e.mask?.firstLumi == 101 && e.mask?.lastLumi == 200)
        let task = try #require(run.workload.topLevelTasks.first)
        #expect(task.steps == ["GenSimFull", "Digi_2021noPU", "Reco_2021noPU"])
        #expect(task.splitting.int("events_per_job") == 1100)
        #expect(run.workload.topLevelTasks.count == 1)
    }

    /// TC_6Tasks_PU: Task1 EventsPerLumi 500, TimePerEvent 14.4 → int(43200/14.4) rounded up to a multiple of 500
    /// = 3000 events per job; 20000 events → 1 element, ceil(20000/3000) = 7 jobs,
    /// lumis = 6 × 6 + ceil(2000/500) = 40.
    @Test func taskChainSixTasksWithPileup() throws {
        let run = try Support.run("TC_6Tasks_PU")
        #expect(run.elements.count == 1)
        let e = try #require(run.elements.first)
        #expect(e.jobs == 7)
        #expect(e.numberOfLumis == 40)
        #expect(e.numberOfEvents == 20000)
        #expect(e.mask?.firstEvent == 1 && e.mask?.firstLumi == 1)
        #expect(run.workload.tasks.filter { $0.type == .processing || $0.type == .production }.count == 6)
    }

    /// SC_6Tasks_PU: the StepChain twin of TC_6Tasks_PU, accepted with its pileup dataset in the catalog.
    @Test func stepChainSixStepsWithPileup() throws {
        let run = try Support.run("SC_6Tasks_PU")
        #expect(run.elements.count == 1)
        #expect(run.elements.first?.numberOfEvents == 20000)
    }

    /// TC_Parent_LumiMask / SC_Parent_LumiMask: IncludeParents on MINIAOD whose parent dataset is AOD; the three
    /// whitelisted blocks each become an element (their runs are all in the LumiList).
    @Test(arguments: ["TC_Parent_LumiMask", "SC_Parent_LumiMask"])
    func parentTemplateWithLumiMask(name: String) throws {
        let run = try Support.run(name)
        #expect(run.elements.count == 3)
        #expect(Set(run.elements.flatMap(\.inputs.keys)) == Set(Support.minimumBiasBlocks.map { Support.minimumBias + "#" + $0 }))
    }

    /// ReReco_LumiMask: of MuonEG's 4 blocks the LumiList keeps a, b and d (c's run is not listed) → 3 elements.
    @Test func reRecoWithLumiMask() throws {
        let run = try Support.run("ReReco_LumiMask")
        #expect(run.elements.count == 3)
        let inputs = Set(run.elements.flatMap(\.inputs.keys))
        #expect(inputs == ["\(Support.muonEG)#a", "\(Support.muonEG)#b", "\(Support.muonEG)#d"])
        let a = try #require(run.elements.first { $0.inputs.keys.contains("\(Support.muonEG)#a") })
        #expect(a.numberOfFiles == 1)          // only the 10-15 file has listed lumis
        #expect(a.numberOfLumis == 5)          // 11-15
        #expect(a.inputs["\(Support.muonEG)#a"] == ["T1_US_FNAL"])
        let b = try #require(run.elements.first { $0.inputs.keys.contains("\(Support.muonEG)#b") })
        #expect(b.numberOfLumis == 15)         // 1-10 and 16-20
        #expect(run.elements.allSatisfy { $0.jobs == 1 })  // EventAwareLumiBased, 43200 events per job
        #expect(run.workload.tasks.contains { $0.name == "DataProcessingEndOfRunDQMHarvestDQMoutput" && $0.type == .harvesting })
    }

    /// ReReco_LumiMask has OpenRunningTimeout 7200: its elements stay open, and a block that appears later
    /// (with listed lumis) becomes one new element; blocks already queued are not queued again.
    @Test func openRequestGetsNewBlocksLater() throws {
        let run = try Support.run("ReReco_LumiMask")
        #expect(run.elements.allSatisfy { $0.openForNewData })
        var catalog = Support.catalog
        catalog.datasets[Support.muonEG]?.blocks.append(
            Support.block(Support.muonEG, "e", at: ["T2_CH_CERN"], files: [Support.file("/store/data/e1.root", run: 356164, lumis: 21...25)]))
        let task = try #require(run.workload.topLevelTasks.first)
        let context = ElementContext(request: run.request, at: Support.now + 60)
        let added = try BlockPolicy.newElements(for: task, context: context, catalog: catalog, existing: run.elements)
        #expect(added.map { Array($0.inputs.keys) } == [["\(Support.muonEG)#e"]])
        #expect(try BlockPolicy.newElements(for: task, context: context, catalog: Support.catalog, existing: run.elements).isEmpty)
    }

    /// ReReco_badBlocks: RunWhitelist keeps DoubleMuon blocks a and d; b has only invalid files, c other runs → 2.
    /// TrustSitelists puts every element at the whitelist.
    @Test func reRecoBadBlocks() throws {
        let run = try Support.run("ReReco_badBlocks")
        #expect(run.elements.count == 2)
        #expect(Set(run.elements.flatMap(\.inputs.keys)) == ["\(Support.doubleMuon)#a", "\(Support.doubleMuon)#d"])
        #expect(run.elements.allSatisfy { $0.trustSitelists && $0.inputs.values.allSatisfy { $0 == ["T1_US_FNAL", "T2_CH_CERN"] } })
        let d = try #require(run.elements.first { $0.inputs.keys.contains("\(Support.doubleMuon)#d") })
        #expect(d.numberOfFiles == 1 && d.numberOfLumis == 4)   // run 316930's file is not whitelisted
    }

    /// DQMHarvest_RunWhitelist: Dataset policy → 1 element; 3 whitelisted runs present → 3 jobs.
    @Test func dqmHarvest() throws {
        let run = try Support.run("DQMHarvest_RunWhitelist")
        #expect(run.elements.count == 1)
        let e = try #require(run.elements.first)
        #expect(e.startPolicy == "Dataset")
        #expect(e.jobs == 3)
        #expect(e.inputs[Support.jetMET] == ["T1_US_FNAL", "T2_CH_CERN"])
        #expect(run.workload.tasks.map(\.type).first == .harvesting)
    }

    @Test func smallerElementsGiveMoreSlices() throws {
        // 10 jobs per element × 400 events = 4000 events: 10000 → 4000 + 4000 + 2000 → 3 elements.
        let run = try Support.run("TC_ProdPsi", monteCarlo: MonteCarloPolicy(maxJobsPerElement: 10))
        #expect(run.elements.map(\.numberOfEvents) == [4000, 4000, 2000])
        #expect(run.elements.map(\.jobs) == [10, 10, 5])
        #expect(Set(run.elements.map(\.name)).count == 3)
    }
}
