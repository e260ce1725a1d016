import Foundation
import Testing
import JobSplitting
@testable import WMCore

/// MonteCarlo slicing, validation samples, ResubmitBlock chunking, element ids.
@Suite struct WorkQueuePolicyTests {
    static func generator(events: Int, firstEvent: Int, firstLumi: Int, perJob: Int, perLumi: Int) -> WorkloadTask {
        WorkloadTask(name: "Gen", path: "/wf/Gen", type: .production,
                     input: .generator(primaryDataset: "PD", events: events, firstEvent: firstEvent, firstLumi: firstLumi),
                     splitting: SplittingSpec(algorithm: "EventBased", parameters: ["events_per_job": .int(perJob),
                                                                                     "events_per_lumi": .int(perLumi)]))
    }

    static let context = ElementContext(requestName: "wf", priority: 100, creationTime: 0)

    @Test(arguments: [
        (1_000_000, 1, 1, 150, 50, 7),           // 150 × 7 = 1050 events per element
        (12_345, 10_001, 101, 400, 100, 10),
        (999, 5, 7, 1000, 300, 1000),
        (3_000_000, 1, 1, 1000, 1000, 1000),
    ])
    func slicesAreContiguousAndCoverTheRequest(total: Int, firstEvent: Int, firstLumi: Int, perJob: Int, perLumi: Int,
                                               maxJobs: Int) throws {
        let task = Self.generator(events: total, firstEvent: firstEvent, firstLumi: firstLumi, perJob: perJob, perLumi: perLumi)
        let elements = try MonteCarloPolicy(maxJobsPerElement: maxJobs).elements(for: task, context: Self.context)
        let masks = elements.compactMap(\.mask)
        #expect(masks.count == elements.count)
        #expect(masks.first?.firstEvent == firstEvent)
        #expect(masks.first?.firstLumi == firstLumi)
        for (a, b) in zip(masks, masks.dropFirst()) {
            #expect(b.firstEvent == a.lastEvent! + 1)
            #expect(b.firstLumi == a.lastLumi! + 1)
        }
        #expect(masks.last?.lastEvent == firstEvent + total - 1)
        #expect(elements.reduce(0) { $0 + $1.numberOfEvents } == total)
        #expect(masks.allSatisfy { $0.firstRun == 1 && $0.lastRun == 1 })
        // Every element but the last holds exactly MaxJobsPerElement jobs of SliceSize events.
        #expect(elements.dropLast().allSatisfy { $0.numberOfEvents == perJob * maxJobs && $0.jobs == maxJobs })
        // Lumis: floor(n/S) × ceil(S/SS) + ceil((n mod S)/SS) per element.
        for e in elements {
            let n = e.numberOfEvents
            let expected = (n / perJob) * Int((Double(perJob) / Double(perLumi)).rounded(.up))
                + Int((Double(n % perJob) / Double(perLumi)).rounded(.up))
            #expect(e.numberOfLumis == expected)
            #expect(e.mask!.lastLumi! - e.mask!.firstLumi! + 1 == expected)
        }
        #expect(Set(elements.map(\.name)).count == elements.count)
    }

    @Test func tooManyLumisPerElementIsRefused() {
        let task = Self.generator(events: 100_000, firstEvent: 1, firstLumi: 1, perJob: 100, perLumi: 10)
        #expect(throws: StartPolicyError.tooManyLumis(task: "/wf/Gen", lumis: 10_000, maximum: 5000)) {
            try MonteCarloPolicy(maxLumisPerElement: 5000).elements(for: task, context: Self.context)
        }
    }

    @Test func validationSampleIsFirstAtTopPriorityOthersHeld() throws {
        var context = Self.context
        context.validationSample = ValidationSampleRequest(events: 250, failureThreshold: 0.2)
        let task = Self.generator(events: 10_000, firstEvent: 1, firstLumi: 1, perJob: 100, perLumi: 100)
        let elements = try MonteCarloPolicy(maxJobsPerElement: 20).elements(for: task, context: context)
        // Sample: 250 events rounded up to whole jobs = 300; then 2000-event elements.
        #expect(elements.map(\.numberOfEvents) == [300, 2000, 2000, 2000, 2000, 1700])
        #expect(elements[0].validationSample && elements[0].priority == 999_999 && !elements[0].heldForValidation)
        #expect(elements.dropFirst().allSatisfy { $0.heldForValidation && !$0.validationSample && $0.priority == 100 })
        // Held elements are not pulled.
        let agent = AgentResources(agent: "a", sites: ["T1_US_FNAL": AgentSite(pendingSlots: 100_000)])
        #expect(PullMatching.match(elements, agent: agent, now: 0).map(\.element) == [elements[0].name])

        var sample = elements[0]
        #expect(ValidationSample.decide(sample: sample, failureThreshold: 0.2) == .wait)
        try sample.transition(to: .acquired, actor: "a", reason: "", at: 1)
        try sample.transition(to: .running, actor: "a", reason: "", at: 2)
        try sample.transition(to: .done, actor: "a", reason: "", at: 3)
        sample.progress = ElementProgress(jobsSucceeded: 8, jobsFailed: 2)
        #expect(ValidationSample.decide(sample: sample, failureThreshold: 0.2) == .release)
        let released = ValidationSample.apply(.release, to: elements, at: 4)
        #expect(released.allSatisfy { !$0.heldForValidation })
        sample.progress = ElementProgress(jobsSucceeded: 7, jobsFailed: 3)
        let decision = ValidationSample.decide(sample: sample, failureThreshold: 0.2)
        guard case .reject = decision else { Issue.record("expected reject, got \(decision)"); return }
        let rejected = ValidationSample.apply(decision, to: elements, at: 4)
        #expect(rejected.dropFirst().allSatisfy { $0.state == .canceled })
        #expect(rejected[0].state == .available)
    }

    @Test func resubmitBlockChunks() throws {
        let files = (0..<600).map { ACDCFile(lfn: "/store/f\($0).root", events: 10, locations: ["T2_CH_CERN"],
                                             lumis: [LumiSection(run: 1, lumi: $0 + 1)]) }
        let fileBased = WorkloadTask(name: "Proc", path: "/wf/Proc", type: .processing, input: .acdc(collection: "wf", taskPath: "/wf/Proc"),
                                     splitting: SplittingSpec(algorithm: "FileBased", parameters: ["files_per_job": .int(5)]))
        let record = ACDCRecord(workflow: "wf", task: "/wf/Proc", splittingAlgorithm: "FileBased", files: files)
        let chunks = try ResubmitBlockPolicy.elements(for: fileBased, record: record, context: Self.context)
        #expect(chunks.map(\.numberOfFiles) == [250, 250, 100])
        #expect(chunks.map(\.jobs) == [50, 50, 20])
        #expect(chunks.allSatisfy { $0.acdc?.collection == "wf" && $0.acdc?.fileset == "/wf/Proc" && $0.startPolicy == "ResubmitBlock" })

        var lumiRecord = record
        lumiRecord.splittingAlgorithm = "LumiBased"
        #expect(try ResubmitBlockPolicy.elements(for: fileBased, record: lumiRecord, context: Self.context).count == 1)

        var merge = record
        merge.splittingAlgorithm = "WMBSMergeBySize"
        #expect(throws: StartPolicyError.self) {
            try ResubmitBlockPolicy.elements(for: fileBased, record: merge, context: Self.context)
        }
    }

    @Test func acdcEntriesAreMergedPerInputFile() throws {
        // Three failed jobs read one file (lumis 3-4 and 7-8 with per-lumi counts; then one entry without counts),
        // two an EventBased file (ranges 150-299, 300-449 and 750-899), two the MC fake file.
        let lumis = { (range: ClosedRange<Int>) in range.map { LumiSection(run: 1, lumi: $0, events: 100) } }
        let files = [
            ACDCFile(lfn: "/store/a.root", events: 200, locations: ["T2_CH_CERN"], lumis: lumis(3...4)),
            ACDCFile(lfn: "/store/b.root", events: 150, locations: ["T2_CH_CERN"], lumis: lumis(2...3), mask: JobMask(firstEvent: 150, lastEvent: 299)),
            ACDCFile(lfn: "/store/a.root", events: 200, locations: ["T1_US_FNAL"], lumis: lumis(7...8)),
            ACDCFile(lfn: "/store/b.root", events: 150, locations: ["T2_CH_CERN"], lumis: lumis(4...5), mask: JobMask(firstEvent: 750, lastEvent: 899)),
            ACDCFile(lfn: "/store/b.root", events: 150, locations: ["T2_CH_CERN"], lumis: lumis(4...5), mask: JobMask(firstEvent: 300, lastEvent: 449)),
            ACDCFile(lfn: "MCFakeFile-wf-Gen", events: 200, lumis: lumis(3...4), mask: JobMask(firstEvent: 201, lastEvent: 400)),
            ACDCFile(lfn: "MCFakeFile-wf-Gen", events: 200, lumis: lumis(7...8), mask: JobMask(firstEvent: 601, lastEvent: 800)),
            ACDCFile(lfn: "/store/c.root", events: 300, lumis: [LumiSection(run: 2, lumi: 1), LumiSection(run: 2, lumi: 2), LumiSection(run: 2, lumi: 3)]),
            ACDCFile(lfn: "/store/c.root", events: 100, lumis: [LumiSection(run: 2, lumi: 2)]),
        ]
        let merged = ACDCRecord(workflow: "wf", task: "/wf/Proc", splittingAlgorithm: "LumiBased", files: files).inputFiles
        #expect(merged.map(\.lfn) == ["/store/a.root", "/store/b.root", "MCFakeFile-wf-Gen-acdc-201", "MCFakeFile-wf-Gen-acdc-601", "/store/c.root"])
        #expect(merged[0].lumis == lumis(3...4) + lumis(7...8) && merged[0].events == 400 && merged[0].eventRanges.isEmpty)
        #expect(merged[0].locations == ["T1_US_FNAL", "T2_CH_CERN"])
        #expect(merged[1].eventRanges == [150...449, 750...899] && merged[1].events == 450)
        #expect(merged[2].eventRanges == [201...400] && merged[2].events == 200 && merged[2].isGenerator)
        // Without per-lumi counts: an entry covering every lumi gives the events (never the sum of overlapping entries).
        #expect(merged[4].lumis.count == 3 && merged[4].events == 300)
        #expect(ACDCInputFile.united([5...9, 1...2, 3...4, 20...20]) == [1...9, 20...20])
    }

    @Test func resubmittedGenerationGoesBackToTheSiteWhitelist() throws {
        // The MC fake file has no storage location: WMCore's fake file carries the element's sites instead.
        let fake = ACDCFile(lfn: "MCFakeFile-wf-Gen", events: 200, lumis: [LumiSection(run: 1, lumi: 3), LumiSection(run: 1, lumi: 4)],
                            mask: JobMask(firstEvent: 201, lastEvent: 400))
        let record = ACDCRecord(workflow: "wf", task: "/wf/Gen", splittingAlgorithm: "EventBased", files: [fake])
        let task = Self.generator(events: 1000, firstEvent: 1, firstLumi: 1, perJob: 200, perLumi: 100)
        let context = ElementContext(requestName: "wf_ACDC", priority: 100, siteWhitelist: ["T2_CH_CERN", "T1_US_FNAL", "T2_DE_DESY"],
                                     siteBlacklist: ["T2_DE_DESY"], creationTime: 0)
        let elements = try ResubmitBlockPolicy.elements(for: task, record: record, context: context)
        #expect(elements.map { Array($0.inputs.values) } == [[["T1_US_FNAL", "T2_CH_CERN"]]])
        // Real files keep their locations (no location at all is still NoInitialSite).
        let lost = ACDCRecord(workflow: "wf", task: "/wf/Gen", splittingAlgorithm: "FileBased",
                              files: [ACDCFile(lfn: "/store/lost.root", events: 1)])
        #expect(try ResubmitBlockPolicy.elements(for: task, record: lost, context: context).map { Array($0.inputs.values) } == [[["NoInitialSite"]]])
    }

    @Test func resubmissionWorkloadKeepsTheInitialTaskSubtree() throws {
        let original = try Support.run("TC_ProdPsi")
        let path = try #require(original.workload.task(named: "Digi_2021noPU")?.path)
        let args = RequestArguments(["RequestType": .string("Resubmission"), "OriginalRequestName": .string(original.request.name),
                                     "InitialTaskPath": .string(path)])
        let workload = try WorkloadBuilder.build(name: "acdc_wf", request: args, configCache: Support.configCache,
                                                 original: original.workload)
        #expect(workload.tasks.allSatisfy { $0.path.hasPrefix(path) })
        #expect(workload.topLevelTasks.map(\.path) == [path])
        #expect(workload.tasks.contains { $0.name == "Reco_2021noPU" })
        let record = ACDCRecord(workflow: original.request.name, task: path, splittingAlgorithm: "EventAwareLumiBased",
                                files: [ACDCFile(lfn: "/store/unmerged/x.root", events: 960, locations: ["T1_US_FNAL_Disk"],
                                                 lumis: [LumiSection(run: 1, lumi: 101)])])
        let elements = try WorkQueueSplitter.elements(workload: workload, context: Self.context, catalog: Support.catalog, acdc: record)
        #expect(elements.count == 1)
        #expect(elements[0].jobs == 2)   // 960 events / 480 per job
        #expect(elements[0].inputs.values.first == ["T1_US_FNAL"])
        #expect(throws: StartPolicyError.missingACDC(task: path)) {
            try WorkQueueSplitter.elements(workload: workload, context: Self.context, catalog: Support.catalog)
        }
    }

    @Test func md5MatchesKnownDigests() {
        #expect(MD5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex("The quick brown fox jumps over the lazy dog") == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(MD5.hex(String(repeating: "a", count: 1000)) == "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }

    @Test func elementIDIsStableAndDependsOnIdentity() {
        let a = ElementBody.makeID(requestName: "wf", taskName: "/wf/T", inputs: ["b", "a"], mask: JobMask(firstEvent: 1),
                                   acdc: nil, dbs: "dbs")
        let b = ElementBody.makeID(requestName: "wf", taskName: "/wf/T", inputs: ["a", "b"], mask: JobMask(firstEvent: 1),
                                   acdc: nil, dbs: "dbs")
        let c = ElementBody.makeID(requestName: "wf", taskName: "/wf/T", inputs: ["a", "b"], mask: JobMask(firstEvent: 2),
                                   acdc: nil, dbs: "dbs")
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 32)
    }

    @Test func elementDocumentRoundTrips() throws {
        let task = Self.generator(events: 1000, firstEvent: 1, firstLumi: 1, perJob: 100, perLumi: 10)
        var element = try #require(try MonteCarloPolicy().elements(for: task, context: Self.context).first)
        try element.transition(to: .negotiating, actor: "gq", reason: "pulled", at: 5)
        let data = try JSONEncoder().encode(ElementDocument(element, extra: ["note": .string("x")]))
        let back = try JSONDecoder().decode(ElementDocument.self, from: data)
        #expect(back.body == element)
        #expect(back.extra == ["note": .string("x")])
        #expect(back.history.map(\.to) == ["Available", "Negotiating"])
    }

    @Test func sliceTypesFollowTheSplittingAlgorithm() {
        #expect(SliceType.of(SplittingSpec(algorithm: "LumiBased", parameters: ["lumis_per_job": .int(8)])) == (.numberOfLumis, 8))
        #expect(SliceType.of(SplittingSpec(algorithm: "EventAwareLumiBased", parameters: ["events_per_job": .int(480)])) == (.numberOfEvents, 480))
        #expect(SliceType.of(SplittingSpec(algorithm: "FileBased", parameters: ["files_per_job": .int(3)])) == (.numberOfFiles, 3))
        #expect(SliceType.of(SplittingSpec(algorithm: "Harvest")) == (.numberOfRuns, 1))
        #expect(SliceType.of(SplittingSpec(algorithm: "RunBased")) == (.numberOfFiles, 1))
        #expect(SliceType.jobs(count: 0, size: 5) == 1)
        #expect(SliceType.jobs(count: 11, size: 5) == 3)
    }
}
