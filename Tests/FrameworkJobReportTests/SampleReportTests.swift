import Foundation
import Testing
@testable import FrameworkJobReport

/// Each real WMCore sample parses to the values of tier0-and-fjr.md §C.
@Suite struct SampleReportTests {
    @Test func processingReport() throws {
        let report = try Fixture.report("CMSSWProcessingReport")
        #expect(report.inputFiles.count == 1)
        let input = try #require(report.inputFiles.first)
        #expect(input.events == 2)
        #expect(input.guid == "142F3F42-C5D6-DE11-945D-000423D94494")
        #expect(input.lfn == "/store/data/BeamCommissioning09/MinimumBias/RAW/v1/000/122/023/142F3F42-C5D6-DE11-945D-000423D94494.root")
        #expect(input.inputType == .primaryFiles)
        #expect(input.moduleLabel == "source")
        #expect(input.inputSourceClass == "PoolSource")
        #expect(input.runs == RunLumiMap(lumisByRun: [122023: [215]]))

        #expect(report.outputModules == ["outputRECORECO", "outputALCARECORECO"])
        #expect(report.outputFiles.count == 2)
        for file in report.outputFiles {
            #expect(file.events == 2)
            #expect(file.branchHash == "cf37adeb60b427f4ccd0e21b5771146b")
            #expect(file.runs.runs == [122023])
            #expect(file.runs.lumis(inRun: 122023) == [215])
            #expect(file.runs.events(run: 122023, lumi: 215) == .some(nil))
            #expect(file.inputLFNs == [input.lfn])
            #expect(file.size == nil && file.adler32 == nil && file.cksum == nil)
        }
        let reco = try #require(report.outputFiles(module: "outputRECORECO").first)
        #expect(reco.lfn.hasSuffix("/0000/outputRECORECO.root"))
        #expect(reco.guid == "7E3359C8-222E-DF11-B2B0-001731230E47")
        #expect(reco.dataType == "Data")
        #expect(reco.pfn == "outputRECORECO.root")
        let alca = try #require(report.outputFiles(module: "outputALCARECORECO").first)
        #expect(alca.lfn.hasSuffix("B8F849C9-222E-DF11-B2B0-001731230E47.root"))

        #expect(report.errors.isEmpty)
        #expect(report.exitCode == 0)
        #expect(report.wrapper.stepStatus == 1)
        #expect(!report.wrapper.isStepSuccessful)
        #expect(Set(report.parameters.keys) == ["StorageStatistics", "GeneratorInfo"])

        var checked = report
        checked.applyPostRunChecks()
        #expect(checked.exitCode == 60451)
        #expect(checked.wrapper.stepStatus == 60451)
    }

    @Test func failReport() throws {
        let report = try Fixture.report("CMSSWFailReport")
        #expect(report.inputFiles.count == 1)
        #expect(report.inputFiles.first?.events == 1)
        #expect(report.inputFiles.first?.runs == RunLumiMap(lumisByRun: [121849: [1]]))
        #expect(report.outputModules == ["outputRECORECO", "outputALCARECOALCARECO"])
        for file in report.outputFiles {
            #expect(file.events == 0)
            #expect(file.runs == RunLumiMap(lumisByRun: [121849: [1]]))
            #expect(file.dataType == "")
        }
        #expect(report.errors.count == 1)
        let error = try #require(report.errors.first)
        #expect(error.exitStatus == 8001)
        #expect(error.type == "CMSException")
        #expect(error.details.hasPrefix("cms::Exception caught in cmsRun"))
        #expect(error.details.contains("No \"CastorDbRecord\" record found in the EventSetup."))
        #expect(error.details.hasSuffix("---- EventProcessorFailure END"))  // CDATA text, stripped
        #expect(report.exitCode == 8001)
        #expect(report.wrapper.stepStatus == 8001)
        #expect(report.parameters["StorageStatistics"] == "")
        #expect(report.parameters["GeneratorInfo"] == "")
    }

    @Test func truncatedFailReportIsRefused() throws {
        #expect {
            _ = try Fixture.report("CMSSWFailReport2")
        } throws: { error in
            guard let error = error as? ReportReadError else { return false }
            #expect(error.wrapperExitCode == 50115)
            #expect(error.accountantExitCode == 99997)
            #expect(error.description.contains("CMSSWFailReport2.xml:821"))
            #expect(error.description.contains("expected well-formed content and </FrameworkJobReport>"))
            return true
        }
    }

    @Test func failReport2WithClosingTagParses() throws {
        var data = try Fixture.data("CMSSWFailReport2")
        data.append(Data("</FrameworkJobReport>\n".utf8))
        let report = try FrameworkJobReportReader().read(data: data, source: "CMSSWFailReport2-closed.xml")
        #expect(report.inputFiles.count == 1)
        let input = try #require(report.inputFiles.first)
        #expect(input.events == 0)
        #expect(input.runs.runs == [131511])
        #expect(input.runs.lumis(inRun: 131511).isEmpty)
        #expect(report.outputFiles.count == 10)
        #expect(report.outputModules.first == "output")
        #expect(report.outputModules.filter { $0.hasPrefix("ALCARECOStream") }.count == 9)
        #expect(report.outputFiles.allSatisfy { $0.events == 0 })
        #expect(report.errors.map(\.exitStatus) == [8001])
        #expect(report.exitCode == 8001)
    }

    @Test func mergeReport() throws {
        let report = try Fixture.report("CMSSWMergeReport")
        #expect(report.inputFiles.map(\.events) == [100, 100])
        #expect(report.inputFiles.map { $0.runs } == [RunLumiMap(lumisByRun: [124224: [3]]),
                                                     RunLumiMap(lumisByRun: [124224: [21]])])
        #expect(report.outputFiles.count == 1)
        let merged = try #require(report.outputFiles.first)
        #expect(merged.moduleLabel == "Merged")
        #expect(merged.events == 200)
        #expect(merged.runs == RunLumiMap(lumisByRun: [124224: [3, 21]]))
        #expect(merged.lfn == "/store/backfill/2/WMAgentCommissioining10/MinimumBias/RECO/rereco_GR09_R_34X_V5_All_v1/0000/Merged.root")
        #expect(merged.inputs.count == 2)
        #expect(report.exitCode == 0)
    }

    @Test func pileupReport() throws {
        let report = try Fixture.report("CMSSWPileup")
        #expect(report.inputFiles.count == 14)
        let primary = report.inputFiles.filter { $0.inputType == .primaryFiles }
        let mixing = report.inputFiles.filter { $0.inputType == .mixingFiles }
        #expect(primary.count == 1)
        #expect(primary.first?.events == 813)
        #expect(primary.first?.runs == RunLumiMap(lumisByRun: [1: [1, 2, 3, 4]]))
        #expect(mixing.count == 13)
        #expect(mixing.map(\.events).reduce(0, +) == 207403)
        #expect(mixing.allSatisfy { $0.runs.isEmpty })
        #expect(mixing.filter { $0.events == 0 }.count == 1)
        #expect(report.inputFiles.map(\.events).reduce(0, +) == 208216)
        #expect(report.inputFiles.last?.inputType == .mixingFiles)  // the mixing file after <File>

        #expect(report.outputFiles.count == 1)
        let output = try #require(report.outputFiles.first)
        #expect(output.moduleLabel == "RAWSIMoutput")
        #expect(output.events == 813)
        #expect(output.dataType == "MC")
        #expect(output.runs == RunLumiMap(lumisByRun: [1: [1, 2, 3, 4]]))
        #expect(output.inputs.count == 14)

        #expect(report.fallbackFiles.count == 1)
        let fallback = try #require(report.fallbackFiles.first?.lfn)
        #expect(fallback.contains("7CEE4536-7EAF-E411-9FD2-00266CFFB868"))
        #expect(mixing.first { $0.events == 0 }?.lfn == fallback)
        #expect(report.skippedFiles.isEmpty)
        #expect(report.exitCode == 0)
    }

    @Test func skippedAllReport() throws {
        let report = try Fixture.report("CMSSWSkippedAll")
        #expect(report.inputFiles.isEmpty)
        #expect(report.outputFiles.isEmpty)
        #expect(report.skippedFiles.map(\.lfn) == [
            "/store/data/Run2012D/Cosmics/RAW/v1/000/206/379/1ED243E7-A611-E211-A851-0019B9F581C9.root",
            "/store/data/Run2012D/Cosmics/RAW/v1/000/206/379/1ED243E7-A622-E211-A851-0019B9F581C.root",
        ])
        #expect(report.skippedFiles.allSatisfy { $0.pfn?.hasPrefix("dcap://") == true })
        #expect(report.performance.storage.isEmpty)  // no tstoragefile read count: WMCore adds nothing
        #expect(report.performance.cmssw["StorageStatistics"]?["Parameter-untracked-bool-enabled"] == .bool(true))
        var checked = report
        checked.applyPostRunChecks()
        #expect(checked.exitCode == 60450)
        #expect(checked.errors.map(\.type) == ["NoOutput"])
        #expect(checked.errors.first?.details.contains("1ED243E7-A622-E211-A851-0019B9F581C.root") == true)
    }

    @Test func performanceReport() throws {
        let report = try Fixture.report("PerformanceReport")
        #expect(report.inputFiles.count == 1)
        #expect(report.inputFiles.first?.events == 10)
        #expect(report.inputFiles.first?.runs == RunLumiMap(lumisByRun: [146715: [66]]))
        #expect(report.outputFiles.count == 1)
        #expect(report.outputFiles.first?.moduleLabel == "print1")
        #expect(report.outputFiles.first?.events == 10)
        #expect(report.outputFiles.first?.lfn == "")

        let performance = report.performance
        #expect(performance.memory == ["PeakValueRss": "492.293", "PeakValueVsize": "643.281"])
        #expect(performance.cpu["TotalJobCPU"] == "9.16361")
        #expect(performance.cpu["AvgEventCPU"] == "0.626105")
        #expect(performance.cpu["TotalJobTime"] == "23.5703")
        #expect(performance.cpu.count == 9)
        #expect(performance.storage["readTotalMB"] == 39.6166)
        #expect(performance.storage["readMaxMSec"] == 320.653)
        #expect(performance.storage["writeTotalMB"] == 5.22226)
        #expect(performance.storage["readPercentageOps"] == 0.98585512216030857)
        #expect(performance.storage["readNumOps"] == 6999)

        let cmssw = performance.cmssw
        #expect(Set(cmssw.keys) == ["ApplicationMemory", "SystemMemory", "Timing", "StorageStatistics"])
        #expect(cmssw["Timing"]?["TotalJobCPU"] == .double(9.16361))
        #expect(cmssw["SystemMemory"]?["MemTotal"] == .int(8174164))
        #expect(cmssw["ApplicationMemory"]?["LargestIncreaseRssEvent-c-EVENT"] == .text("6.20954e+07"))
        #expect(cmssw["StorageStatistics"]?["Parameter-untracked-bool-stats"] == .bool(true))
        #expect(cmssw["StorageStatistics"]?["Parameter-untracked-string-readHint"] == .text("auto-detect"))
    }
}
