import Foundation
import Testing
import TestSupport
@testable import Operator
@testable import WMCore

/// `wmctl request submit` refuses an argument this system does not implement (issue 19: honoured, or refused with a
/// reason) — exit 65 naming the field and why, and no request is made; the default is accepted, and metadata WMCore
/// only records is shown by `wmctl request show`.
@Suite struct UnsupportedArgumentSubmitTests {
    /// The example request with `change` applied to its JSON object, written into the spool's folder.
    static func request(in spool: ProgramSpool, _ name: String, _ change: (inout [String: JSONValue]) -> Void) throws -> String {
        let text = try String(contentsOfFile: OperationsPrograms.exampleRequest, encoding: .utf8)
        var object = try #require(try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)).objectValue)
        change(&object)
        let path = spool.root + "/../" + name
        try Data(JSONValue.object(object).serialized.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func custodialSitesAreRefusedWithTheReasonAndNothingIsSubmitted() throws {
        let spool = try ProgramSpool.fresh("custodial")
        let file = try Self.request(in: spool, "custodial.json") { object in
            var assign = object["assignRequest"]?.objectValue ?? [:]
            assign["CustodialSites"] = .array([.string("T1_US_FNAL_MSS")])
            object["assignRequest"] = .object(assign)
        }
        let (status, output) = spool.wmctl(["request", "submit", file, "--assign"])
        #expect(status == 65, "\(output.stdout)\(output.stderr)")
        #expect(output.stderr.contains(#"assignRequest.CustodialSites: found ["T1_US_FNAL_MSS"]; expected []: no custodial (tape) copies are made: the Rucio injector here makes no custodial rules"#),
                "\(output.stderr)")
        let (listed, list) = spool.wmctl(["request", "ls", "--json"])
        let requests = try JSONDecoder().decode(JSONValue.self, from: Data(list.stdout.utf8)).arrayValue
        #expect(listed == 0 && requests == [], "no request was made: \(list.stdout)")
    }

    @Test func theDefaultIsAcceptedAndRecordedMetadataIsShown() throws {
        let spool = try ProgramSpool.fresh("custodial-default")
        let file = try Self.request(in: spool, "default.json") { object in
            var create = object["createRequest"]?.objectValue ?? [:]
            create["Comments"] = .string("rerun for the 2026 conditions")
            create["SubRequestType"] = .string("RelVal")
            object["createRequest"] = .object(create)
            var assign = object["assignRequest"]?.objectValue ?? [:]
            assign["CustodialSites"] = .array([])
            assign["AllowOpportunistic"] = .bool(false)
            object["assignRequest"] = .object(assign)
        }
        let (status, output) = spool.wmctl(["request", "submit", file, "--assign"])
        try #require(status == 0, "\(output.stderr)")
        let name = output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (shown, show) = spool.wmctl(["request", "show", name])
        #expect(shown == 0)
        let recorded = show.stdout.split(separator: "\n").first { $0.hasPrefix("recorded: ") }.map(String.init)
        #expect(recorded == #"recorded: Campaign="Demo2026"  Comments="rerun for the 2026 conditions"  Dashboard="production"  DbsUrl="https://cmsweb.cern.ch/dbs/prod/global/DBSReader"  ScramArch=["el9_amd64_gcc12"]  SubRequestType="RelVal""#,
                "\(show.stdout)")
    }
}
