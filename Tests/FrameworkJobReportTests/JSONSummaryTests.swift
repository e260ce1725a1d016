import Foundation
import Testing
@testable import FrameworkJobReport

/// The `wmctl fjr FILE --json` summary has exactly the documented shape.
@Suite struct JSONSummaryTests {
    @Test func processingReportSummaryIsExact() throws {
        let report = try Fixture.report("CMSSWProcessingReport")
        let json = String(decoding: report.jsonSummary(), as: UTF8.self)
        let input = "/store/data/BeamCommissioning09/MinimumBias/RAW/v1/000/122/023/142F3F42-C5D6-DE11-945D-000423D94494.root"
        let inputPFN = "dcap://cmsdca.fnal.gov:24137/pnfs/fnal.gov/usr/cms/WAX/11" + input
        let base = "/store/backfill/2/unmerged/WMAgentCommissioining10/MinimumBias"
        func output(_ module: String, _ lfn: String, _ guid: String) -> String {
            #"{"branchHash":"cf37adeb60b427f4ccd0e21b5771146b","events":2,"eventsPerLumi":{"122023":{"215":null}},"#
                + #""guid":"\#(guid)","inputs":["\#(input)"],"lfn":"\#(lfn)","module":"\#(module)","#
                + #""pfn":"\#(module).root","runs":{"122023":[215]}}"#
        }
        let expected = #"{"errors":[],"exitCode":0,"fallbackFiles":[],"inputFiles":[{"events":2,"#
            + #""guid":"142F3F42-C5D6-DE11-945D-000423D94494","inputType":"primaryFiles","lfn":"\#(input)","#
            + #""pfn":"\#(inputPFN)","runs":{"122023":[215]}}],"outputFiles":["#
            + output("outputRECORECO", base + "/RECO/rereco_GR09_R_34X_V5_All_v1/0000/outputRECORECO.root",
                     "7E3359C8-222E-DF11-B2B0-001731230E47") + ","
            + output("outputALCARECORECO",
                     base + "/ALCARECO/rereco_GR09_R_34X_V5_All_v1/0000/B8F849C9-222E-DF11-B2B0-001731230E47.root",
                     "B8F849C9-222E-DF11-B2B0-001731230E47")
            + #"],"performance":{"cmssw":{},"cpu":{},"memory":{},"storage":{}},"skippedFiles":[]}"#
        #expect(json == expected)
        #expect(try JSONSerialization.jsonObject(with: report.jsonSummary()) is [String: Any])
    }

    @Test func summaryCarriesErrorsLumisAndPerformance() throws {
        var report = RoundTripTests.richReport()
        report.wrapper = WrapperInfo()
        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonSummary()) as? [String: Any])
        #expect(Set(object.keys) == ["exitCode", "errors", "inputFiles", "outputFiles", "skippedFiles",
                                     "fallbackFiles", "performance"])
        #expect(object["exitCode"] as? Int == 8020)
        let errors = try #require(object["errors"] as? [[String: Any]])
        #expect(errors.count == 2)
        #expect(Set(errors[0].keys) == ["type", "exitStatus", "details"])
        #expect(errors[0]["details"] as? String == report.errors[0].details)
        let input = try #require((object["inputFiles"] as? [[String: Any]])?.first)
        #expect(input["runs"] as? [String: [Int]] == ["1": [1, 3], "7": []])
        let output = try #require((object["outputFiles"] as? [[String: Any]])?.first)
        let perLumi = try #require(output["eventsPerLumi"] as? [String: [String: Any]])
        #expect(perLumi["1"]?["3"] as? Int == 10)
        #expect(object["skippedFiles"] as? [String] == ["/store/skip.root"])
        #expect(object["fallbackFiles"] as? [String] == ["/store/fb.root"])
        let performance = try #require(object["performance"] as? [String: Any])
        #expect(Set(performance.keys) == ["memory", "cpu", "storage", "cmssw"])
    }

    @Test func performanceNumbersKeepTheirTypes() throws {
        let report = try Fixture.report("PerformanceReport")
        let json = String(decoding: report.jsonSummary(), as: UTF8.self)
        #expect(json.contains(#""readPercentageOps":0.9858551221603086"#))
        #expect(json.contains(#""PeakValueRss":"492.293""#))
        #expect(json.contains(#""TotalJobCPU":9.16361"#))      // cmssw: cast to a number
        #expect(json.contains(#""TotalJobCPU":"9.16361""#))    // cpu: kept as text
        #expect(json.contains(#""Parameter-untracked-bool-enabled":true"#))
        #expect(json.contains(#""MemTotal":8174164"#))
        #expect(json.contains(#""LargestRssEvent-c-EVENT":"6.21157e+07""#))
    }

    @Test func jsonValueEscapesAndSorts() {
        let value = JSONValue.object(["b": .array([.null, .bool(false), .double(.infinity)]),
                                      "a": .string("q\"\\\n\u{1}é")])
        #expect(value.serialized == #"{"a":"q\"\\\n\u0001é","b":[null,false,null]}"#)
    }
}
