import EventFiles
import Foundation
import FrameworkJobReport
import JobSplitting
import Testing
import TestSupport
@testable import WMCore

/// Issue 19 item 4: the cmsRun stand-in mixes pileup from the job's `pileupFiles` (one pileup event per event,
/// cycling through the files), its report lists them as `mixingFiles` (never as parents of the outputs), and a
/// missing pileup file fails the job with CMSSW's 8020 FileOpenError naming the file.
@Suite struct PileupRuntimeTests {
    static let pileupBase = "/store/mc/PU/Neutrino/PREMIX/v1"

    /// Writes a pileup file of `events` events into the fixture's storage; returns its LFN.
    func writePileup(_ fixture: RuntimeFixture, name: String, events: Int) throws -> String {
        let lfn = Self.pileupBase + "/\(name).root"
        let path = fixture.pfn(lfn)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let writer = try EventFileWriter(path: path, payloadSize: 16)
        for event in 1...events { try writer.append(EventRecord(run: 1, lumi: 1, event: UInt64(event), triggerBits: 0)) }
        _ = try writer.finish()
        return lfn
    }

    /// A Processing job of 100 generated events with `pileup` as its pileup files.
    func processing(_ fixture: RuntimeFixture, pileup: [String]) throws -> (job: JobBody, input: String) {
        let gen = fixture.job("gen-1", type: "Production", mask: RuntimeFixture.productionMask(1, 100, lumis: 1...4),
                              outputs: ["RAWSIMoutput": RuntimeFixture.spec("GEN-SIM", base: "/store/unmerged/E/PD/GEN-SIM/v1")])
        let produced = try fixture.run(gen)
        let input = try #require(produced.output("RAWSIMoutput")).lfn
        var job = fixture.job("digi-1", type: "Processing", inputs: [input],
                              outputs: ["PREMIXRAWoutput": RuntimeFixture.spec("GEN-SIM-DIGI", base: "/store/unmerged/E/PD/GEN-SIM-DIGI/v1")])
        job.pileupFiles = pileup.map { PileupFile(lfn: $0, events: 0, locations: [fixture.pnn]) }
        return (job, input)
    }

    @Test func eachEventMixesOnePileupEventCyclingThroughTheFiles() throws {
        let fixture = RuntimeFixture("pileup-mix")
        let first = try writePileup(fixture, name: "pu-a", events: 30)
        let second = try writePileup(fixture, name: "pu-b", events: 20)
        let (job, input) = try processing(fixture, pileup: [first, second])
        let run = try fixture.run(job)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(run.report)
        #expect(report.exitCode == 0)
        let primary = report.inputFiles.filter { $0.inputType == .primaryFiles }
        #expect(primary.map(\.lfn) == [input] && primary.first?.events == 100)
        let mixing = report.inputFiles.filter { $0.inputType == .mixingFiles }
        // 100 events: 30 + 20, then again 30 + 20.
        #expect(mixing.map(\.lfn) == [first, second])
        #expect(mixing.map(\.events) == [60, 40])
        #expect(mixing.allSatisfy { $0.runs.isEmpty && $0.pfn == fixture.pfn($0.lfn) })
        let output = try #require(run.output("PREMIXRAWoutput"))
        #expect(output.events == 100)
        #expect(output.inputLFNs == [input], "pileup is not a parent of the output")
    }

    @Test func aMissingPileupFileFailsTheJobWith8020NamingIt() throws {
        let fixture = RuntimeFixture("pileup-missing")
        let present = try writePileup(fixture, name: "pu-a", events: 500)
        let missing = Self.pileupBase + "/pu-gone.root"
        let (job, _) = try processing(fixture, pileup: [present, missing])
        let run = try fixture.run(job)
        #expect(run.status != 0)
        let report = try #require(run.report)
        #expect(report.exitCode == 8020)
        let error = try #require(report.errors.first)
        #expect(error.type == "FileOpenError")
        #expect(error.details.contains("pileup") && error.details.contains(missing), "\(error.details)")
        #expect(report.outputFiles.filter { $0.moduleLabel != "logArchive" }.isEmpty, "nothing is staged out")
    }

    @Test func plannerGivesPileupToProcessingAndGenerationButNotToMerges() throws {
        let planner = StepPlanner(defaultSpool: "/spool", storageFolder: "storage", runtime: JobRuntime(spool: "/spool", site: "T2_CH_CERN", pnn: "T2_CH_CERN"))
        let spec = JobOutputSpec(dataTier: "GEN-SIM", dataset: "/PD/E-v1/GEN-SIM", lfnBase: "/store/unmerged/E/PD/GEN-SIM/v1", merged: false)
        let pileup = [PileupFile(lfn: "/store/mc/PU/a.root", events: 10, locations: ["T2_CH_CERN"]),
                      PileupFile(lfn: "/store/mc/PU/b.root", events: 10, locations: ["T1_US_FNAL_Disk"])]
        var production = JobBody(name: "p", workflow: "WF", task: "/WF/Gen", taskType: "Production", subscription: "s", inputFiles: [],
                                 mask: RuntimeFixture.productionMask(1, 10, lumis: 1...1), outputs: ["RAWSIMoutput": spec])
        production.pileupFiles = pileup
        let inputs = try #require(try planner.plan(production).pileupInputs)
        #expect(inputs.map(\.pfn) == ["/spool/storage/T2_CH_CERN/store/mc/PU/a.root", "/spool/storage/T1_US_FNAL_Disk/store/mc/PU/b.root"],
                "each file from its storage, as primary input")
        var merge = production
        merge.taskType = "Merge"
        merge.inputFiles = [SplitFile(lfn: "/store/unmerged/x.root", locations: ["T2_CH_CERN"])]
        #expect(try planner.plan(merge).pileupInputs == nil)
    }

    @Test func aStepChainMixesPileupOnlyInTheStepThatDeclaresIt() throws {
        let steps = [ChainStep(name: "GEN", outputTiers: ["RAWSIMoutput": "GEN-SIM"]),
                     ChainStep(name: "DIGI", outputTiers: ["PREMIXRAWoutput": "GEN-SIM-DIGI"], inputModule: "RAWSIMoutput", mixesPileup: true),
                     ChainStep(name: "RECO", outputTiers: ["AODSIMoutput": "AODSIM"], inputModule: "PREMIXRAWoutput")]
        var job = JobBody(name: "j", workflow: "WF", task: "/WF/GEN", taskType: "Production", subscription: "s", inputFiles: [],
                          mask: RuntimeFixture.productionMask(1, 10, lumis: 1...1), baggage: [ChainStep.baggageKey: ChainStep.baggageValue(steps)],
                          outputs: ["AODSIMoutput": JobOutputSpec(dataTier: "AODSIM", dataset: "/PD/E-v1/AODSIM", lfnBase: "/store/unmerged/E/PD/AODSIM/v1", merged: false)])
        job.pileupFiles = [PileupFile(lfn: "/store/mc/PU/a.root", events: 10, locations: [])]
        let configs = try StepPlanner(defaultSpool: "/spool", storageFolder: "storage", runtime: JobRuntime()).planSteps(job)
        #expect(configs.map { $0.pileupInputs?.map(\.lfn) } == [nil, ["/store/mc/PU/a.root"], nil])
        #expect(try ChainStep.steps(inBaggage: [ChainStep.baggageKey: ChainStep.baggageValue(steps)]).map(\.mixesPileup) == [nil, true, nil],
                "the flag survives the baggage")
    }
}
