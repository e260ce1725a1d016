import Foundation
import Testing
@testable import FrameworkJobReport

/// Issue 17 (poison reports): a number outside its range is refused with the whole report, the error naming the
/// file, the field, the value found and the range allowed — never a report that later traps or lies.
@Suite struct ReportLimitTests {
    /// A report with one output file; the placeholders are replaced by each case.
    static func report(events: String = "3", size: String = "10", run: String = "1", lumi: String = "2",
                       nEvents: String = "3", metric: String = "512.5", inputEvents: String = "3") -> String {
        """
        <FrameworkJobReport>
        <InputFile><LFN>/store/in.root</LFN><PFN>in.root</PFN><Catalog></Catalog><ModuleLabel>source</ModuleLabel>
        <GUID>I</GUID><InputType>primaryFiles</InputType><InputSourceClass>PoolSource</InputSourceClass>
        <EventsRead>\(inputEvents)</EventsRead></InputFile>
        <File><LFN>/store/a.root</LFN><PFN>a.root</PFN><Catalog></Catalog><ModuleLabel>out</ModuleLabel>
        <GUID>G</GUID><OutputModuleClass>PoolOutputModule</OutputModuleClass><TotalEvents>\(events)</TotalEvents>
        <BranchHash>h</BranchHash><Size>\(size)</Size>
        <Runs><Run ID="\(run)"><LumiSection ID="\(lumi)" NEvents="\(nEvents)"/></Run></Runs></File>
        <PerformanceReport><PerformanceSummary Metric="ApplicationMemory">
        <Metric Name="PeakValueRss" Value="\(metric)"/></PerformanceSummary></PerformanceReport>
        </FrameworkJobReport>
        """
    }

    @Test func theLargestAllowedNumbersAreRead() throws {
        let report = try FrameworkJobReportReader().read(data: Data(Self.report(
            events: "1000000000000", size: "1000000000000000", run: "4294967295", lumi: "4294967295",
            nEvents: "1000000000000", metric: "1e300", inputEvents: "0").utf8))
        #expect(report.outputFiles[0].events == 1_000_000_000_000)
        #expect(report.outputFiles[0].size == 1_000_000_000_000_000)
        #expect(report.outputFiles[0].runs.events(run: 4_294_967_295, lumi: 4_294_967_295) == .some(1_000_000_000_000))
    }

    @Test(arguments: [
        (Self.report(events: "9223372036854775000"), "File/TotalEvents", "9223372036854775000", "from 0 to 1000000000000"),
        (Self.report(events: "-1"), "File/TotalEvents", "-1", "from 0 to 1000000000000"),
        (Self.report(inputEvents: "-5"), "InputFile/EventsRead", "-5", "from 0 to 1000000000000"),
        (Self.report(nEvents: "9223372036854775000"), "Run 1 LumiSection 2 NEvents", "9223372036854775000", "from 0 to 1000000000000"),
        (Self.report(nEvents: "99999999999999999999999"), "Run 1 LumiSection 2 NEvents", "99999999999999999999999", "from 0 to"),
        (Self.report(nEvents: "-3"), "Run 1 LumiSection 2 NEvents", "-3", "from 0 to"),
        (Self.report(size: "-10"), "File/Size", "-10", "from 0 to 1000000000000000"),
        (Self.report(run: "-1"), "Run ID", "-1", "from 1 to 4294967295"),
        (Self.report(run: "4294967296"), "Run ID", "4294967296", "from 1 to 4294967295"),
        (Self.report(lumi: "0"), "Run 1 LumiSection ID", "0", "from 1 to 4294967295"),
        (Self.report(metric: "NaN"), "PerformanceReport ApplicationMemory PeakValueRss", "NaN", "a finite number"),
        (Self.report(metric: "-nan"), "PerformanceReport ApplicationMemory PeakValueRss", "-nan", "a finite number"),
        (Self.report(metric: "1e999"), "PerformanceReport ApplicationMemory PeakValueRss", "1e999", "a finite number"),
        (Self.report(metric: "inf"), "PerformanceReport ApplicationMemory PeakValueRss", "inf", "a finite number"),
    ])
    func outOfRangeNumbersRefuseTheReport(xml: String, field: String, value: String, allowed: String) throws {
        let error = try #require(readError(xml))
        guard case let .invalidValue(source, _, foundField, foundValue, expected) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(source == "test.xml")
        #expect(foundField == field)
        #expect(foundValue == value)
        #expect(expected.contains(allowed), "\(expected)")
        #expect(error.description.hasPrefix("test.xml:") && error.description.contains(field) && error.description.contains(value))
        #expect(error.accountantExitCode == 99997)
    }

    @Test func aNonIntegerLumiCountIsNoCountAsInWMCore() throws {
        let report = try FrameworkJobReportReader().read(data: Data(Self.report(nEvents: "many").utf8))
        #expect(report.outputFiles[0].runs.events(run: 1, lumi: 2) == .some(nil))
    }

    @Test func textMetricsStayText() throws {
        let report = try FrameworkJobReportReader().read(data: Data(Self.report(metric: "Intel(R) Xeon(R)").utf8))
        #expect(report.performanceSummaries[0].metrics[0].value == "Intel(R) Xeon(R)")
    }

    @Test func skippedEventAndWrapperRetryAreRangeChecked() throws {
        let skipped = "<FrameworkJobReport><SkippedEvent Run=\"0\" Event=\"5\"/></FrameworkJobReport>"
        #expect(readError(skipped)?.description.contains("SkippedEvent Run") == true)
        let retry = "<FrameworkJobReport><WMWrapper JobName=\"j\" Retry=\"-1\"/></FrameworkJobReport>"
        #expect(readError(retry)?.description.contains("WMWrapper Retry") == true)
    }
}
