import Foundation
import Testing
@testable import FrameworkJobReport

/// The writer produces CMSSW-format XML that the reader parses back to an equal report.
@Suite struct RoundTripTests {
    static func roundTrip(_ report: FrameworkJobReport) throws -> FrameworkJobReport {
        try FrameworkJobReportReader().read(data: try report.xmlData(), source: "written.xml")
    }

    @Test(arguments: ["CMSSWProcessingReport", "CMSSWFailReport", "CMSSWMergeReport", "CMSSWPileup",
                      "CMSSWSkippedAll", "PerformanceReport"])
    func sampleReportsRoundTrip(name: String) throws {
        let report = try Fixture.report(name)
        let again = try Self.roundTrip(report)
        #expect(again == report)
        #expect(again.performance == report.performance)
        #expect(again.jsonSummary() == report.jsonSummary())
    }

    static func richReport() -> FrameworkJobReport {
        var report = FrameworkJobReport()
        let special = "a&b <c> \"d\" 'e' ü € 😀 ]]> line1\nline2\ttab"
        report.inputFiles = [
            InputFile(lfn: "/store/data/x&y.root", pfn: "root://host//store/data/x&y.root", guid: "G-1",
                      catalog: "trivialcatalog_file:/a?protocol=<dcap>", moduleLabel: "source",
                      inputType: .secondaryFiles, inputSourceClass: "PoolSource", events: 42,
                      runs: RunLumiMap([1: [3: 10, 1: nil], 7: [:]])),
        ]
        report.outputFiles = [
            OutputFile(moduleLabel: "write_RAW", lfn: "/store/unmerged/\(special).root", pfn: "out.root", guid: "G-2",
                       events: 10, branchHash: "abc", dataType: "Data", runs: RunLumiMap([1: [3: 10]]),
                       inputs: [FileReference(lfn: "/store/data/x&y.root", pfn: "p\"q")],
                       size: 12345, adler32: "0a1b2c3d", cksum: "4294967295"),
            OutputFile(moduleLabel: "write_RAW", lfn: "", pfn: "two.root", guid: "G-3", events: 0, branchHash: ""),
        ]
        report.addError(FrameworkError(exitStatus: 8020, type: "FileOpenError", details: special))
        report.addError(FrameworkError(exitStatus: 0, type: "Odd", details: "zero"))
        report.skippedFiles = [FileReference(lfn: "/store/skip.root", pfn: nil)]
        report.fallbackFiles = [FileReference(lfn: "/store/fb.root", pfn: "root://xrootd-cms.infn.it//store/fb.root")]
        report.skippedEvents = [SkippedEvent(run: 1, event: 99)]
        report.analysisFiles = [AnalysisFile(fileName: "hist.root", attributes: ["Size": "10", "Bare": nil])]
        report.performanceSummaries = [
            PerformanceSummary(metric: "Timing", metrics: [NamedMetric(name: "TotalJobCPU", value: "1.50"),
                                                           NamedMetric(name: "Weird", value: special)]),
            PerformanceSummary(metric: "cern.ch", module: "XrdSiteStatistics",
                               metrics: [NamedMetric(name: "read-numOperations", value: "4")]),
            PerformanceSummary(metric: "infn.it", module: "XrdSiteStatistics",
                               metrics: [NamedMetric(name: "read-numOperations", value: "6")]),
            PerformanceSummary(metric: nil, metrics: []),
        ]
        report.parameters = ["GeneratorInfo": "", "ReadBranches": special]
        report.wrapper = WrapperInfo(stepName: "cmsRun2", stepStatus: 0, siteName: "T2_CH_CERN",
                                     startTime: 1_700_000_000.125, stopTime: 1_700_000_360.5, wrapperExitCode: 0)
        return report
    }

    @Test func richReportRoundTripsIncludingSpecialCharacters() throws {
        let report = Self.richReport()
        let xml = try report.xmlString()
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FrameworkJobReport>"))
        #expect(xml.contains("<LumiSection ID=\"3\" NEvents=\"10\"/>"))
        #expect(xml.contains("<FrameworkError ExitStatus=\"8020\" Type=\"FileOpenError\">a&amp;b &lt;c&gt;"))
        let again = try Self.roundTrip(report)
        #expect(again == report)
        #expect(again.wrapper.stepStatus == 0)  // the wrapper's status wins over the errors' status
        #expect(again.performance.cmssw["XrdSiteStatistics"]?["read-numOperations"]
                == .perSite([SiteMetric(site: "cern.ch", value: "4"), SiteMetric(site: "infn.it", value: "6")]))
        #expect(again.performance.cpu["TotalJobCPU"] == "1.50")
    }

    @Test func stepStatusFollowsErrorsWithoutWrapperElement() throws {
        var report = FrameworkJobReport()
        report.addError(FrameworkError(exitStatus: 8021, type: "FileReadError", details: "x"))
        let xml = try report.xmlString().replacingOccurrences(of: #"<WMWrapper[^>]*/>\n"#, with: "",
                                                               options: .regularExpression)
        let again = try FrameworkJobReportReader().read(data: Data(xml.utf8))
        #expect(again.wrapper == WrapperInfo(stepStatus: 8021))
        #expect(again.parameters.isEmpty)
    }

    @Test func writerRefusesWhatXMLCannotCarry() throws {
        var report = FrameworkJobReport()
        report.addError(FrameworkError(details: "bell\u{7}"))
        #expect(throws: ReportWriteError.unrepresentableCharacter(field: "FrameworkError", scalar: 7)) {
            _ = try report.xmlData()
        }
        var nonCharacter = FrameworkJobReport()
        nonCharacter.wrapper = WrapperInfo(stepStatus: 0, siteName: "T2_\u{FFFE}")
        #expect(throws: ReportWriteError.unrepresentableCharacter(field: "WMWrapper SiteName", scalar: 0xFFFE)) {
            _ = try nonCharacter.xmlData()
        }
        for name in ["File", "has space", "1abc", "xmlThing", ""] {
            var withParameter = FrameworkJobReport()
            withParameter.parameters[name] = "x"
            #expect(throws: ReportWriteError.invalidParameterName(name)) { _ = try withParameter.xmlData() }
        }
    }

    @Test func writtenFileReadsBackFromDisk() throws {
        let dir = try Fixture.temporaryDirectory()
        let url = dir.appendingPathComponent("FrameworkJobReport.xml")
        try Self.richReport().xmlData().write(to: url)
        #expect(try FrameworkJobReportReader().read(contentsOf: url) == Self.richReport())
    }
}
