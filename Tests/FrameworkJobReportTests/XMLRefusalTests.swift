import Foundation
import Testing
@testable import FrameworkJobReport

/// Each kind of document XML 1.0 (or this reader) forbids is refused with an error naming its line.
@Suite struct XMLRefusalTests {
    /// A malformed document, the line its error must name, and words the message must contain.
    struct Case: CustomStringConvertible, Sendable {
        let label: String
        let bytes: [UInt8]
        let line: Int
        let mentions: String
        /// Whether libxml2 refuses it too (it accepts encodings other than UTF-8, which this reader does not decode).
        var libxml2Refuses = true

        init(_ label: String, _ xml: String, line: Int, mentions: String) {
            self.init(label, Array(xml.utf8), line: line, mentions: mentions)
        }

        init(_ label: String, _ bytes: [UInt8], line: Int, mentions: String) {
            self.label = label; self.bytes = bytes; self.line = line; self.mentions = mentions
        }

        /// The same case, noting that libxml2 accepts it.
        var acceptedByLibxml2: Case { var copy = self; copy.libxml2Refuses = false; return copy }

        var description: String { label }
    }

    static let head = "<FrameworkJobReport>\n<GeneratorInfo>ok</GeneratorInfo>\n"
    static let tail = "\n</FrameworkJobReport>\n"

    /// `bad` placed on line 3 of an otherwise valid report.
    static func onLine3(_ label: String, _ bad: String, mentions: String) -> Case {
        Case(label, head + bad + tail, line: 3, mentions: mentions)
    }

    /// Raw bytes placed on line 3 of an otherwise valid report.
    static func bytesOnLine3(_ label: String, _ bad: [UInt8], mentions: String) -> Case {
        Case(label, Array(head.utf8) + Array("<X>".utf8) + bad + Array("</X>".utf8) + Array(tail.utf8), line: 3, mentions: mentions)
    }

    static let cases: [Case] = [
        onLine3("mismatched tag", "<A><B>x</A></B>", mentions: "does not match <B>"),
        Case("mismatched tag after CR and CRLF line ends", "<FrameworkJobReport>\r<A>\r\n<B></A>", line: 3, mentions: "opened at line 3"),
        Case("unclosed tag", head + "<A>\n<B>text</B>", line: 4, mentions: "expected well-formed content and </A>"),
        Case("unclosed root", "<FrameworkJobReport>\n<A/>\n", line: 2, mentions: "</FrameworkJobReport>"),
        Case("text after root", head + "</FrameworkJobReport>\n\ntrailing", line: 5, mentions: "text after the root element"),
        Case("second element", head + "</FrameworkJobReport>\n<FrameworkJobReport/>", line: 4, mentions: "second element"),
        Case("closing tag first", "\n\n</FrameworkJobReport>", line: 3, mentions: "no open element"),
        Case("text before root", "\n\nhello <FrameworkJobReport/>", line: 3, mentions: "text before the root element"),
        onLine3("< in attribute", "<A x=\"a<b\"/>", mentions: "< is not allowed in an attribute value"),
        onLine3("unknown entity", "<A>&nbsp;</A>", mentions: "unknown entity &nbsp;"),
        onLine3("unterminated entity", "<A>fish &amp chips</A>", mentions: "unterminated entity reference &amp"),
        onLine3("bare ampersand", "<A>fish & chips</A>", mentions: "entity name after &"),
        onLine3("unterminated char ref", "<A>&#65 </A>", mentions: "unterminated character reference"),
        onLine3("char ref to NUL", "<A>&#0;</A>", mentions: "&#0; is not an XML character"),
        onLine3("char ref to surrogate", "<A>&#xD800;</A>", mentions: "is not an XML character"),
        onLine3("char ref too large", "<A>&#x110000;</A>", mentions: "is not an XML character"),
        Case("unterminated comment", head + "<!-- no end -> \n\n", line: 4, mentions: "unterminated comment opened at line 3"),
        onLine3("double hyphen in comment", "<!-- a -- b -->", mentions: "-- inside a comment"),
        Case("unterminated CDATA", head + "<A><![CDATA[ no end ]>", line: 3, mentions: "unterminated CDATA section"),
        Case("unterminated PI", head + "<?pi no end >", line: 3, mentions: "unterminated processing instruction"),
        onLine3("]]> in text", "<A>a ]]> b</A>", mentions: "]]> is not allowed"),
        onLine3("duplicate attribute", "<A x=\"1\" y=\"2\" x=\"3\"/>", mentions: "duplicate attribute x"),
        onLine3("name starting with a digit", "<1A/>", mentions: "expected an element name"),
        onLine3("attribute name with a bad character", "<A x$=\"1\"/>", mentions: "has no ="),
        onLine3("no space between attributes", "<A x=\"1\"y=\"2\"/>", mentions: "expected whitespace"),
        onLine3("unquoted attribute", "<A x=1/>", mentions: "no quoted value"),
        onLine3("end tag with attribute", "<A></A x=\"1\">", mentions: "expected > to end the closing tag"),
        onLine3("space after <", "< A/>", mentions: "expected an element name"),
        onLine3("CDATA-like markup", "<!ELEMENT A ANY>", mentions: "unexpected <!"),
        Case("xml declaration later", head + "<?xml version=\"1.0\"?>" + tail, line: 3, mentions: "only allowed at the very start"),
        Case("bad version", "<?xml version=\"2.0\"?>\n<FrameworkJobReport/>", line: 1, mentions: "expected 1.0"),
        Case("XML 1.1", "<?xml version=\"1.1\"?>\n<FrameworkJobReport/>", line: 1, mentions: "expected 1.0"),
        Case("declaration not first", "\n<?xml version=\"1.0\"?><FrameworkJobReport/>", line: 2, mentions: "only allowed at the very start"),
        Case("latin-1 declared", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><FrameworkJobReport/>", line: 1, mentions: "expected UTF-8").acceptedByLibxml2,
        Case("declaration fields out of order", "<?xml encoding=\"UTF-8\" version=\"1.0\"?><FrameworkJobReport/>", line: 1, mentions: "must start with version"),
        bytesOnLine3("invalid UTF-8 lead byte", [0xFF], mentions: "not valid UTF-8"),
        bytesOnLine3("missing continuation", [0xC3, 0x28], mentions: "not valid UTF-8"),
        bytesOnLine3("lone continuation byte", [0x80], mentions: "not valid UTF-8"),
        bytesOnLine3("overlong encoding", [0xC0, 0xAF], mentions: "not valid UTF-8"),
        bytesOnLine3("encoded surrogate", [0xED, 0xA0, 0x80], mentions: "not valid UTF-8"),
        bytesOnLine3("NUL byte", [0x00], mentions: "NUL byte"),
        bytesOnLine3("C0 control", [0x01], mentions: "U+1 is not allowed"),
        bytesOnLine3("U+FFFF", [0xEF, 0xBF, 0xBF], mentions: "U+FFFF is not allowed"),
        Case("NUL in attribute", head + "<A x=\"a\u{0}b\"/>" + tail, line: 3, mentions: "NUL byte"),
        Case("invalid UTF-8 in name", Array(head.utf8) + [0x3C, 0x41, 0xC3, 0x2F, 0x3E], line: 3, mentions: "not valid UTF-8"),
    ]

    @Test(arguments: cases)
    func malformedDocumentIsRefusedNamingTheLine(_ testCase: Case) throws {
        let data = Data(testCase.bytes)
        do {
            let report = try FrameworkJobReportReader().read(data: data, source: "bad.xml")
            Issue.record("accepted: \(report)")
        } catch {
            guard case .malformedXML(let source, let line, let column, _) = error else {
                Issue.record("unexpected \(error)"); return
            }
            #expect(source == "bad.xml")
            #expect(line == testCase.line, "\(error)")
            #expect(column != nil)
            #expect(error.description.contains(testCase.mentions), "\(error)")
            #expect(error.description.hasPrefix("bad.xml:\(testCase.line):"))
        }
        #expect((XMLParserOracle.report(data) == nil) == testCase.libxml2Refuses, "libxml2 disagrees")
    }

    @Test(arguments: [
        ("<?xml version=\"1.0\"?>\n<!DOCTYPE FrameworkJobReport>\n<FrameworkJobReport/>", 2, "<!DOCTYPE"),
        ("<FrameworkJobReport>\n<A>\n<!ENTITY x \"y\">\n</A></FrameworkJobReport>", 3, "<!ENTITY"),
        ("<FrameworkJobReport/>\n<!DOCTYPE x>", 2, "<!DOCTYPE"),
    ])
    func declarationsAreForbiddenNamingTheLine(xml: String, line: Int, declaration: String) {
        #expect(readError(xml) == .forbiddenDeclaration(source: "test.xml", line: line, declaration: declaration))
    }
}
