import Foundation
import Testing
@testable import FrameworkJobReport

/// What XML allows decodes as libxml2 decoded it; what it forbids is refused with the line named.
@Suite struct XMLSyntaxTests {
    /// A report whose `GeneratorInfo` parameter holds `content` (raw XML).
    static func report(generatorInfo content: String, prolog: String = "") -> Data {
        Data("\(prolog)<FrameworkJobReport>\n<GeneratorInfo>\(content)</GeneratorInfo>\n</FrameworkJobReport>\n".utf8)
    }

    /// Reads `data` with the scanner, checks the `XMLParser` oracle agrees, and returns the report.
    static func read(_ data: Data) throws -> FrameworkJobReport {
        let report = try FrameworkJobReportReader().read(data: data, source: "syntax.xml")
        #expect(report == XMLParserOracle.report(data), "XMLParser read \(String(decoding: data, as: UTF8.self)) differently")
        return report
    }

    @Test(arguments: [
        ("a &lt;b&gt; &amp; &apos;c&apos; &quot;d&quot;", "a <b> & 'c' \"d\""),
        ("x&#10;&#x41;&#65;&#x1F600;&#xe9;y", "x\nAA😀éy"),
        ("<![CDATA[<not a tag> & &amp; ]]>x", "<not a tag> & &amp; x"),
        ("a\r\nb\rc\nd", "a\nb\nc\nd"),
        ("ü € 😀 ∑", "ü € 😀 ∑"),
        ("a<!-- a comment with <b>markup</b> - and a dash -->b", "ab"),
        ("a<?pi some data?>b", "ab"),
        ("  \n\t padded \r\n ", "padded"),
        ("a > b ] ]> c", "a > b ] ]> c"),
    ])
    func characterDataDecodes(xml: String, expected: String) throws {
        let report = try Self.read(Self.report(generatorInfo: xml))
        #expect(report.parameters["GeneratorInfo"] == expected)
    }

    @Test(arguments: [
        (#"Lfn="plain" Pfn='single'"#, "plain", "single"),
        ("Lfn = 'x\"y'   Pfn\t=\t\"a'b\"", #"x"y"#, "a'b"),
        ("Lfn=\"a\tb\nc\r\nd\" Pfn=\"&#10;&#9;&#13;\"", "a b c d", "\n\t\r"),
        (#"Lfn="&lt;&amp;&gt;&quot;&apos;" Pfn="1 > 0""#, #"<&>"'"#, "1 > 0"),
        (#"Lfn="ü€😀" Pfn="""#, "ü€😀", ""),
    ])
    func attributesDecode(attributes: String, lfn: String, pfn: String) throws {
        let data = Data("<FrameworkJobReport><SkippedFile \(attributes) /></FrameworkJobReport>".utf8)
        let report = try Self.read(data)
        #expect(report.skippedFiles == [FileReference(lfn: lfn, pfn: pfn)])
    }

    @Test(arguments: [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>",
        "\u{FEFF}<?xml version=\"1.0\"?>",
        "<!-- produced by cmsRun -->\r\n<?xml-stylesheet href=\"x\"?>\n",
    ])
    func prologsAreAccepted(prolog: String) throws {
        let report = try Self.read(Self.report(generatorInfo: "g", prolog: prolog))
        #expect(report.parameters["GeneratorInfo"] == "g")
    }

    /// The scanner skips plain ASCII eight bytes at a time: what needs a look is seen at every alignment.
    @Test func specialCharactersAreSeenAtEveryAlignment() throws {
        for offset in 0..<17 {
            let pad = String(repeating: "x", count: offset)
            let report = try Self.read(Self.report(generatorInfo: "\(pad)&amp;é\(pad)\n\(pad)z"))
            #expect(report.parameters["GeneratorInfo"] == "\(pad)&é\(pad)\n\(pad)z")
            for bad in ["\u{0}", "\u{1}", "]]>", "&bad;", "\u{FFFF}"] {
                let data = Self.report(generatorInfo: pad + bad + pad)
                #expect(throws: ReportReadError.self, "\(offset) \(bad.debugDescription)") { try FrameworkJobReportReader().read(data: data) }
            }
            let attribute = Data("<FrameworkJobReport><SkippedFile Lfn=\"\(pad)<\(pad)\"/></FrameworkJobReport>".utf8)
            #expect(throws: ReportReadError.self) { try FrameworkJobReportReader().read(data: attribute) }
        }
    }

    /// XML normalises line ends before parsing, CDATA included; FoundationXML's `XMLParser` on Linux
    /// kept the CR in CDATA, so this case is checked against the specification rather than the oracle.
    @Test func crlfInsideCDATAIsNormalised() throws {
        let report = try FrameworkJobReportReader().read(data: Self.report(generatorInfo: "<![CDATA[a\r\nb\rc]]>"))
        #expect(report.parameters["GeneratorInfo"] == "a\nb\nc")
    }

    @Test func textIsWhatFollowsTheLastChildAsInWMCore() throws {
        let data = Data("<FrameworkJobReport><FrameworkError Type=\"T\">lost<Extra/>kept &amp; <![CDATA[more]]></FrameworkError></FrameworkJobReport>".utf8)
        let report = try Self.read(data)
        #expect(report.errors.map(\.details) == ["kept & more"])
    }

    @Test func crlfDocumentsGiveTheSameReportAndLines() throws {
        let lf = try Fixture.data("CMSSWProcessingReport")
        let crlf = Data(String(decoding: lf, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
        #expect(try Self.read(crlf) == Self.read(lf))
        let missing = Data("<FrameworkJobReport>\r\n\r\n<InputFile>\r\n</InputFile></FrameworkJobReport>".utf8)
        #expect(throws: ReportReadError.missingElement(source: "syntax.xml", line: 3, parent: "InputFile", child: "InputType")) {
            try FrameworkJobReportReader().read(data: missing, source: "syntax.xml")
        }
    }
}
