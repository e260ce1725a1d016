import Foundation
import Testing
@testable import FrameworkJobReport

/// Anything that is not a complete, well-formed report is refused with a clear error — never a partial report.
@Suite struct MalformedReportTests {
    static let minimalFile = """
        <File><LFN>/store/a.root</LFN><PFN>a.root</PFN><Catalog></Catalog><ModuleLabel>out</ModuleLabel>
        <GUID>G</GUID><OutputModuleClass>PoolOutputModule</OutputModuleClass><TotalEvents>3</TotalEvents>
        <BranchHash>h</BranchHash></File>
        """

    @Test func minimalDocumentParses() throws {
        let report = try FrameworkJobReportReader().read(data: Data("<FrameworkJobReport>\(Self.minimalFile)</FrameworkJobReport>".utf8))
        #expect(report.outputFiles.map(\.events) == [3])
    }

    @Test(arguments: [
        "this is not xml at all",
        "<FrameworkJobReport><File></FrameworkJobReport>",
        "<FrameworkJobReport><InputFile><LFN>x</LFN>",
        "<FrameworkJobReport>",
        "<FrameworkJobReport></FrameworkJobReport>trailing garbage",
        "<FrameworkJobReport><A></B></FrameworkJobReport>",
        "<FrameworkJobReport><A x=\"1\" x=\"2\"/></FrameworkJobReport>",
        "<FrameworkJobReport>&undefined;</FrameworkJobReport>",
        "\u{FEFF}<<<>>>",
    ])
    func malformedXMLIsRefused(xml: String) throws {
        let error = try #require(readError(xml))
        #expect(error.wrapperExitCode == 50115)
        #expect(error.accountantExitCode == 99997)
        #expect(error.description.hasPrefix("test.xml"))
    }

    @Test func truncationNamesTheOpenElement() throws {
        let error = try #require(readError("<FrameworkJobReport>\n<InputFile>\n<LFN>x</LFN>\n"))
        switch error {
        case .truncated(_, let open): #expect(open == "InputFile")
        case .malformedXML(_, let line, _, _): #expect(line != nil)
        default: Issue.record("unexpected \(error)")
        }
    }

    @Test func externalEntityIsRefused() throws {
        let dir = try Fixture.temporaryDirectory()
        let secret = dir.appendingPathComponent("secret.txt")
        try Data("SECRET".utf8).write(to: secret)
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE FrameworkJobReport [ <!ENTITY leak SYSTEM "file://\(secret.path)"> ]>
            <FrameworkJobReport><GeneratorInfo>&leak;</GeneratorInfo></FrameworkJobReport>
            """
        let error = try #require(readError(xml))
        guard case .forbiddenDeclaration = error else { Issue.record("unexpected \(error)"); return }
        #expect(error.description.contains("DOCTYPE"))
    }

    @Test func internalEntityExpansionIsRefused() throws {
        let xml = """
            <!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <FrameworkJobReport><X>&b;</X></FrameworkJobReport>
            """
        guard case .forbiddenDeclaration = try #require(readError(xml)) else { Issue.record("not refused as DTD"); return }
    }

    @Test func oversizedDocumentIsRefused() throws {
        let xml = "<FrameworkJobReport>\(Self.minimalFile)</FrameworkJobReport>"
        #expect(readError(xml, sizeLimit: xml.utf8.count) == nil)
        let error = try #require(readError(xml, sizeLimit: xml.utf8.count - 1))
        #expect(error == .documentTooLarge(source: "test.xml", size: xml.utf8.count, limit: xml.utf8.count - 1))

        let dir = try Fixture.temporaryDirectory()
        let file = dir.appendingPathComponent("big.xml")
        try Data(xml.utf8).write(to: file)
        #expect(throws: ReportReadError.documentTooLarge(source: file.path, size: xml.utf8.count, limit: 100)) {
            _ = try FrameworkJobReportReader(sizeLimit: 100).read(contentsOf: file)
        }
    }

    @Test func emptyAndMissingFilesGetTheAccountantCodes() throws {
        let dir = try Fixture.temporaryDirectory()
        let empty = dir.appendingPathComponent("empty.xml")
        try Data().write(to: empty)
        let missing = dir.appendingPathComponent("missing.xml")
        for (url, code) in [(empty, 99998), (missing, 99999)] {
            do {
                _ = try FrameworkJobReportReader().read(contentsOf: url)
                Issue.record("\(url.lastPathComponent) was accepted")
            } catch {
                #expect(error.accountantExitCode == code)
                #expect(error.wrapperExitCode == 50115)
                #expect(error.description.contains(url.path))
            }
        }
        #expect(readError("  \n\t ") == .emptyDocument(source: "test.xml"))
    }

    @Test func wrongRootIsRefused() throws {
        #expect(readError("<JobReport/>") == .unexpectedRoot(source: "test.xml", found: "JobReport"))
    }

    @Test(arguments: ["LFN", "PFN", "Catalog", "ModuleLabel", "GUID", "OutputModuleClass", "TotalEvents", "BranchHash"])
    func missingRequiredChildOfFileIsRefused(child: String) throws {
        let file = Self.minimalFile.replacingOccurrences(of: #"<\#(child)>[^<]*</\#(child)>"#, with: "",
                                                         options: .regularExpression)
        let error = try #require(readError("<FrameworkJobReport>\n\(file)</FrameworkJobReport>"))
        #expect(error == .missingElement(source: "test.xml", line: 2, parent: "File", child: child))
        #expect(error.description == "test.xml:2: <File> has no <\(child)>; expected one")
    }

    @Test func missingRequiredChildOfInputFileIsRefused() throws {
        let xml = """
            <FrameworkJobReport><InputFile><LFN>a</LFN><PFN>b</PFN><Catalog/><ModuleLabel>source</ModuleLabel>
            <GUID>g</GUID><InputType>primaryFiles</InputType><InputSourceClass>PoolSource</InputSourceClass>
            </InputFile></FrameworkJobReport>
            """
        let error = try #require(readError(xml))
        #expect(error == .missingElement(source: "test.xml", line: 1, parent: "InputFile", child: "EventsRead"))
    }

    @Test func badValuesAreRefused() throws {
        let badEvents = Self.minimalFile.replacingOccurrences(of: "<TotalEvents>3", with: "<TotalEvents>three")
        let error = try #require(readError("<FrameworkJobReport>\(badEvents)</FrameworkJobReport>"))
        #expect(error.description.contains("File/TotalEvents is \"three\"; expected an integer"))

        let badCode = "<FrameworkJobReport><FrameworkError ExitStatus=\"x\"/></FrameworkJobReport>"
        #expect(try #require(readError(badCode)).description.contains("FrameworkError ExitStatus"))

        let badStorage = """
            <FrameworkJobReport><PerformanceReport><PerformanceSummary Metric="StorageStatistics">
            <Metric Name="Timing-file-read-totalMegabytes" Value="lots"/></PerformanceSummary></PerformanceReport>
            </FrameworkJobReport>
            """
        #expect(try #require(readError(badStorage)).description.contains("expected a number"))

        let noValue = "<FrameworkJobReport><PerformanceReport><PerformanceSummary Metric=\"Timing\"><Metric Name=\"A\"/></PerformanceSummary></PerformanceReport></FrameworkJobReport>"
        #expect(readError(noValue) == .missingAttribute(source: "test.xml", line: 1, element: "Metric", attribute: "Value"))
    }
}
