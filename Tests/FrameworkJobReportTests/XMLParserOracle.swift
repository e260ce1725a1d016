import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import FrameworkJobReport

/// The reader's former path, kept as a test oracle: FoundationXML's `XMLParser` (libxml2) feeding the
/// same `ReportTreeBuilder` the production `XMLScanner` feeds. A report both paths accept must be equal.
enum XMLParserOracle {
    /// Parses `data` with `XMLParser`; nil when libxml2 (or the builder) refused it.
    static func report(_ data: Data) -> FrameworkJobReport? {
        let events = Events(builder: ReportTreeBuilder(source: "oracle.xml"))
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = events
        let parsed = parser.parse()
        guard parsed, !events.failed, events.openCount == 0, events.sawRoot else { return nil }
        return try? events.builder.finishedReport()
    }

    /// Forwards SAX callbacks as `XMLEventConsumer` events: text since the previous tag goes with each end.
    private final class Events: NSObject, XMLParserDelegate {
        var builder: ReportTreeBuilder
        var failed = false
        var openCount = 0
        var sawRoot = false
        private var text = ""

        init(builder: ReportTreeBuilder) { self.builder = builder }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            guard !failed else { return }
            text = ""
            sawRoot = true
            openCount += 1
            do { try builder.startElement(name: elementName, attributes: attributeDict, line: parser.lineNumber) } catch { fail(parser) }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard !failed else { return }
            openCount -= 1
            defer { text = "" }
            do { try builder.endElement(text: text) } catch { fail(parser) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) { text += String(decoding: CDATABlock, as: UTF8.self) }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { fail(parser) }

        private func fail(_ parser: XMLParser) {
            failed = true
            parser.abortParsing()
        }
    }
}
