import EventFiles
import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 19 item 4: WMCore's pileup and parent templates run to `completed` on the local plugin with their datasets in
/// the catalog (files in storage), every expected event once, the pileup read by the jobs that mix it and the parents
/// by the jobs that include them.
@Suite struct EndToEndPileupTemplateTests {
    static let pileup = "/Neutrino_E-10_gun/RunIISummer20ULPrePremix-UL16_106X_mcRun2_asymptotic_v13-v1/PREMIX"
    static let premixLFNBase = "/store/mc/RunIISummer20ULPrePremix/Neutrino_E-10_gun/PREMIX/UL16_106X_mcRun2_asymptotic_v13-v1/00000"

    /// Writes each file's events (run, lumi → events in that lumi, numbered from `firstEvent` on) into `pnn`'s storage and
    /// imports them as one block of `dataset` through `wmctl catalog import`.
    static func importBlock(_ agent: EndToEndAgent, block name: String, pnn: String,
                            files: [(lfn: String, run: Int, lumis: ClosedRange<Int>, perLumi: Int, parents: [String])],
                            firstEvent: Int = 1) throws {
        var event = firstEvent
        var catalogFiles: [CatalogFile] = []
        for file in files {
            let path = agent.spool.path("storage/\(pnn)" + file.lfn)
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let writer = try EventFileWriter(path: path, payloadSize: 16)
            for lumi in file.lumis {
                for _ in 0..<file.perLumi {
                    try writer.append(EventRecord(run: UInt32(file.run), lumi: UInt32(lumi), event: UInt64(event), triggerBits: 0))
                    event += 1
                }
            }
            _ = try writer.finish()
            let checksums = try FileChecksums.compute(path: path)
            catalogFiles.append(CatalogFile(lfn: file.lfn, size: Int(checksums.size), events: file.lumis.count * file.perLumi,
                                            adler32: checksums.adler32Hex, cksum: String(checksums.cksum),
                                            lumis: file.lumis.map { LumiSection(run: file.run, lumi: $0) }, parents: file.parents))
        }
        let bulk = BulkBlock(block: CatalogBlock(name: name, locations: [pnn], files: catalogFiles),
                             context: BulkBlockContext(config: BulkConfig(releaseVersion: "CMSSW_10_6_17", outputModuleLabel: "Merged", globalTag: "GT"),
                                                       processingVersion: 1, acquisitionEra: "Era", primaryDatasetType: "mc", creationDate: 0))
        let file = agent.spool.path("block-\(UUID().uuidString.prefix(8)).json")
        try JSONEncoder().encode(bulk).write(to: URL(fileURLWithPath: file))
        #expect(try agent.wmctlOK(["catalog", "import", file]).hasPrefix("imported"))
    }

    /// The configurations TC_6Tasks_PU and SC_6Tasks_PU use, under their ids.
    static let sixTaskConfigs: [(String, String)] = [
        ("abd4cc458ae724060c82a8c7e8535570", #"{"outputModules": {"RAWSIMoutput": {"dataTier": "GEN", "filterName": ""}}}"#),
        ("08a4940e14b0b7a2f0f4720a0f22bacb", #"{"outputModules": {"RAWSIMoutput": {"dataTier": "GEN-SIM", "filterName": ""}}}"#),
        ("08a4940e14b0b7a2f0f4720a0f23bdce", #"{"outputModules": {"PREMIXRAWoutput": {"dataTier": "GEN-SIM-DIGI", "filterName": ""}}}"#),
        ("1b96d80d6061d572208f6a0ef554734c", #"{"outputModules": {"RAWSIMoutput": {"dataTier": "GEN-SIM-RAW", "filterName": ""}}}"#),
        ("08a4940e14b0b7a2f0f4720a0f2436d0", #"{"outputModules": {"AODSIMoutput": {"dataTier": "AODSIM", "filterName": ""}}}"#),
        ("c121f9d5ea13ca2b315c408778e5693a", #"{"outputModules": {"MINIAODSIMoutput": {"dataTier": "MINIAODSIM", "filterName": ""}}}"#),
    ]

    @Test(arguments: ["TC_6Tasks_PU", "SC_6Tasks_PU"])
    func wmcorePileupTemplateRunsToCompletedMixingItsPileup(template name: String) throws {
        let agent = try EndToEndAgent("pu-" + name)
        defer { agent.killLeftovers() }
        for (id, text) in Self.sixTaskConfigs { try agent.addConfig(text, id: id) }
        let pileupFiles = (1...2).map { "\(Self.premixLFNBase)/premix-\($0).root" }
        try Self.importBlock(agent, block: Self.pileup + "#premix-1", pnn: "T2_CH_CERN",
                             files: pileupFiles.enumerated().map { ($1, 1, ($0 * 5 + 1)...($0 * 5 + 5), 10, []) })
        let template = TestSupport.packageRoot + "/Tests/WMCoreTests/Fixtures/\(name).json"
        let first = name.hasPrefix("TC") ? "Task1" : "Step1"
        let request = try agent.wmctlOK(["request", "submit", template, "--assign", "--set", "Team=production",
                                         "--set", "SiteWhitelist=T2_CH_CERN", "--set", "AcquisitionEra=Run3Test",
                                         "--set", "ProcessingString=TEST", "--set", "Campaign=Test", "--set", "RequestString=pu",
                                         "--set", "Dashboard=production", "--set", "\(first).RequestNumEvents=400"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.runUntilQuiet()
        #expect(agent.status(of: request) == "completed")
        // The request's account finds every expected lumi in its outputs (TC_6Tasks_PU once completed with its Task4
        // merge failed: that merge's log-archive LFN, holding its whole task path, passed DBS's 500-character limit).
        let account = try agent.account(of: request)
        #expect(account.verdict == .complete, "\(account)")
        let datasets = try agent.datasets().subtracting([Self.pileup])
        // Only Task5/Step5 (AODSIM) and Task6/Step6 (MINIAODSIM) keep their output.
        #expect(datasets.map { $0.split(separator: "/").last.map(String.init) ?? "" }.sorted() == ["AODSIM", "MINIAODSIM"], "\(datasets)")
        for dataset in datasets {
            #expect(dataset.hasPrefix("/VBF_HHTo2G2Tau_CV_1_C2V_1_C3_0_TuneCP5_13TeV-powheg-pythia8/"), "\(dataset)")
            let events = try agent.events(in: dataset)
            #expect(events.map(\.event).sorted() == Array(1...400), "\(dataset): every event once")
        }
        // The jobs that mix pileup list it as mixingFiles in their reports.
        let jobs = try agent.archivedJobs(of: request).filter { $0.pileupFiles?.isEmpty == false }
        #expect(!jobs.isEmpty, "some jobs carry pileup")
        for job in jobs {
            #expect(Set(job.pileupFiles?.map(\.lfn) ?? []) == Set(pileupFiles))
            let tarball = agent.spool.path("archive/logs/\(request.prefix(1))/\(request)/JobCluster_0/Job_\(job.name).tar.gz")
            let report = try TestSupport.run("/usr/bin/tar", ["-xzOf", tarball, "\(job.name)-0/Report.0.xml"]).stdout
            #expect(report.contains("mixingFiles") && report.contains(pileupFiles[0]), "\(job.name)'s report lists the pileup it mixed")
        }
        agent.expectClean()
    }

    static let miniAOD = "/MinimumBias/Run2023C-22Sep2023_v4-v1/MINIAOD"
    static let parentAOD = "/MinimumBias/Run2023C-22Sep2023_v4-v1/AOD"
    /// The template's LumiList: run → inclusive lumi ranges (45 lumis of 3 runs).
    static let lumiMask: [Int: [ClosedRange<Int>]] = [367786: [1...5, 11...20], 367832: [6...10, 30...30, 41...44], 367913: [51...70]]
    /// The template's three whitelisted MINIAOD blocks (by uuid), each a run in two files that reach past the mask.
    static let parentBlocks: [(uuid: String, run: Int, files: [ClosedRange<Int>])] = [
        ("146eb70b-12ad-47dd-a109-b7feef4927cf", 367786, [1...12, 13...25]),
        ("5b047ae4-f01e-44b4-b960-ae443ed46c2e", 367832, [1...25, 26...50]),
        ("7597e092-5056-4316-b7b6-0b5aa48d6829", 367913, [41...60, 61...80]),
    ]

    @Test(arguments: ["TC_Parent_LumiMask", "SC_Parent_LumiMask"])
    func wmcoreParentTemplateRunsToCompletedWithinItsLumiMaskReadingParents(template name: String) throws {
        let agent = try EndToEndAgent("parent-" + name)
        defer { agent.killLeftovers() }
        try agent.addConfig(#"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}}}"#, id: "544d8059f5f200f8959e2e4fab11a94e")
        // Two events per lumi, numbered across all files; each MINIAOD file has an AOD parent with the same events.
        let perLumi = 2
        var firstEvent = 1
        var expected: [CatalogEvent] = []
        var aodFiles: [(lfn: String, run: Int, lumis: ClosedRange<Int>, perLumi: Int, parents: [String])] = []
        var miniAODBlocks: [(name: String, first: Int, files: [(lfn: String, run: Int, lumis: ClosedRange<Int>, perLumi: Int, parents: [String])])] = []
        for (index, block) in Self.parentBlocks.enumerated() {
            var files: [(lfn: String, run: Int, lumis: ClosedRange<Int>, perLumi: Int, parents: [String])] = []
            let first = firstEvent
            for (n, lumis) in block.files.enumerated() {
                let aod = "/store/data/Run2023C/MinimumBias/AOD/22Sep2023_v4-v1/0000\(index)/aod-\(n).root"
                aodFiles.append((aod, block.run, lumis, perLumi, []))
                files.append(("/store/data/Run2023C/MinimumBias/MINIAOD/22Sep2023_v4-v1/0000\(index)/mini-\(n).root", block.run, lumis, perLumi, [aod]))
                for lumi in lumis {
                    for _ in 0..<perLumi {
                        if Self.lumiMask[block.run]?.contains(where: { $0.contains(lumi) }) == true {
                            expected.append(CatalogEvent(run: block.run, lumi: lumi, event: firstEvent))
                        }
                        firstEvent += 1
                    }
                }
            }
            miniAODBlocks.append((Self.miniAOD + "#" + block.uuid, first, files))
        }
        // The parents first: the MINIAOD dataset's parent is derived from its files' parents at import.
        try Self.importBlock(agent, block: Self.parentAOD + "#0b6c6a5e-0000-4000-8000-000000000001", pnn: "T2_CH_CERN", files: aodFiles)
        for block in miniAODBlocks {
            try Self.importBlock(agent, block: block.name, pnn: "T2_CH_CERN", files: block.files, firstEvent: block.first)
        }
        #expect(expected.count == 45 * perLumi)

        let template = TestSupport.packageRoot + "/Tests/WMCoreTests/Fixtures/\(name).json"
        let request = try agent.wmctlOK(["request", "submit", template, "--assign", "--set", "Team=production",
                                         "--set", "SiteWhitelist=T2_CH_CERN", "--set", "AcquisitionEra=Run3Test",
                                         "--set", "ProcessingString=TEST", "--set", "Campaign=Test", "--set", "RequestString=parent",
                                         "--set", "Dashboard=production"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.runUntilQuiet()
        #expect(agent.status(of: request) == "completed")
        let account = try agent.account(of: request)
        #expect(account.verdict == .complete, "\(account)")
        let output = "/MinimumBias/Run3Test-TEST-v19/RECO"
        #expect(try agent.datasets() == [Self.parentAOD, Self.miniAOD, output])
        // Every event of the mask's 45 lumis once, and nothing outside it.
        #expect(try agent.events(in: output).sorted() == expected.sorted(), "\(output): the lumi mask's events, each once")

        // Each processing job reads its inputs' AOD parents as secondary files.
        let parents = Set(aodFiles.map(\.lfn))
        let jobs = try agent.archivedJobs(of: request).filter { $0.taskType == "Processing" }
        #expect(!jobs.isEmpty)
        for job in jobs {
            #expect(job.includeParents == true, "\(job.name) carries includeParents")
            let read = Set(job.inputFiles.flatMap(\.parents))
            #expect(!read.isEmpty && read.isSubset(of: parents), "\(job.name): parents \(read)")
            let tarball = agent.spool.path("archive/logs/\(request.prefix(1))/\(request)/JobCluster_0/Job_\(job.name).tar.gz")
            let report = try TestSupport.run("/usr/bin/tar", ["-xzOf", tarball, "\(job.name)-0/Report.0.xml"]).stdout
            #expect(report.contains("secondaryFiles"), "\(job.name)'s report reads parents as secondary files")
            for parent in read { #expect(report.contains(parent), "\(job.name)'s report lists its parent \(parent)") }
        }
        agent.expectClean()
    }
}
