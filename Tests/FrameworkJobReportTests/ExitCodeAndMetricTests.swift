import Foundation
import Testing
@testable import FrameworkJobReport

/// WMCore's exit-code, step-status and metric-casting rules.
@Suite struct ExitCodeAndMetricTests {
    @Test func exitCodeIsFirstNonZeroCode() {
        var report = FrameworkJobReport()
        #expect(report.exitCode == 0)
        #expect(report.wrapper.stepStatus == 1)
        report.addError(FrameworkError(exitStatus: 0, type: "T", details: ""))
        #expect(report.exitCode == 99999)  // the only error has no real code
        #expect(report.addError(FrameworkError(exitStatus: 99999)) == false)  // 0 already counts as 99999
        report.addError(FrameworkError(exitStatus: 8021))
        report.addError(FrameworkError(exitStatus: 8028))
        #expect(report.exitCode == 8021)
        #expect(report.wrapper.stepStatus == 8028)  // status = the last added code
        #expect(report.addError(FrameworkError(exitStatus: 8021, type: "Again")) == false)
        #expect(report.errors.map(\.exitStatus) == [0, 8021, 8028])
    }

    @Test func repeatedFrameworkErrorCodeIsIgnoredWhenParsing() throws {
        let xml = """
            <FrameworkJobReport><FrameworkError ExitStatus="8020">first</FrameworkError>
            <FrameworkError ExitStatus="8020" Type="Other">second</FrameworkError><FrameworkError>default</FrameworkError>
            </FrameworkJobReport>
            """
        let report = try FrameworkJobReportReader().read(data: Data(xml.utf8))
        #expect(report.errors == [FrameworkError(exitStatus: 8020, type: "CMSException", details: "first"),
                                  FrameworkError(exitStatus: 8001, type: "CMSException", details: "default")])
        #expect(report.exitCode == 8020)
        #expect(report.wrapper.stepStatus == 8001)
    }

    @Test func postRunChecksFollowTheExecutor() throws {
        var noLumis = FrameworkJobReport()
        noLumis.outputFiles = [OutputFile(moduleLabel: "out", lfn: "/a", pfn: "a", guid: "g", events: 1,
                                          branchHash: "h", runs: RunLumiMap([5: [:]]), adler32: "00000001")]
        noLumis.applyPostRunChecks()
        #expect(noLumis.errors.map(\.exitStatus) == [70452])
        var clean = FrameworkJobReport()
        clean.outputFiles = noLumis.outputFiles
        clean.outputFiles[0].runs = RunLumiMap(lumisByRun: [5: [1]])
        clean.applyPostRunChecks()
        #expect(clean.errors.isEmpty && clean.exitCode == 0)
    }

    @Test(arguments: [
        ("true", MetricValue.bool(true)), ("false", .bool(false)), ("True", .text("True")),
        ("42", .int(42)), ("-7", .int(-7)), ("007", .int(7)), ("-", .text("-")), ("--5", .text("--5")),
        ("1.5", .double(1.5)), ("-1.5", .double(-1.5)), ("5.", .double(5)), (".5", .double(0.5)),
        ("-.5", .text("-.5")), (".", .text(".")), ("6.20954e+07", .text("6.20954e+07")), ("-nan", .text("-nan")),
        ("  12 ", .int(12)), ("1.2.3", .text("1.2.3")), ("", .text("")),
    ])
    func metricCastingMatchesWMCore(raw: String, expected: MetricValue) {
        #expect(MetricValue.cast(raw) == expected)
    }

    @Test func nEventsThatIsNotAnIntegerBecomesNil() throws {
        let xml = """
            <FrameworkJobReport><InputFile><LFN>a</LFN><PFN>b</PFN><Catalog/><ModuleLabel>source</ModuleLabel>
            <GUID>g</GUID><InputType>primaryFiles</InputType><InputSourceClass>PoolSource</InputSourceClass>
            <EventsRead>5</EventsRead><Runs><Run ID="9"><LumiSection ID="2" NEvents=""/><LumiSection ID="1" NEvents="4"/>
            <LumiSection NEvents="3"/></Run><Run><LumiSection ID="8"/></Run></Runs></InputFile></FrameworkJobReport>
            """
        let runs = try #require(try FrameworkJobReportReader().read(data: Data(xml.utf8)).inputFiles.first?.runs)
        #expect(runs == RunLumiMap([9: [1: 4, 2: nil]]))
    }
}
