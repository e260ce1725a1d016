import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads CMSSW framework job report XML into a `FrameworkJobReport`, streaming with `XMLParser` (SAX).
///
/// Faithful to WMCore's `FwkJobReport/XMLParser.py`, and stricter where WMCore was lax: any parser
/// error, a truncated document, a DTD or entity declaration, a document over `sizeLimit`, or a missing
/// required child is an error, never a partial report.
public struct FrameworkJobReportReader: Sendable {
    /// The default size cap: 50 MB.
    public static let defaultSizeLimit = 50 * 1024 * 1024

    /// Documents larger than this many bytes are refused.
    public var sizeLimit: Int

    /// Creates a reader with a size cap in bytes.
    public init(sizeLimit: Int = FrameworkJobReportReader.defaultSizeLimit) { self.sizeLimit = sizeLimit }

    /// Reads the report at `url`; the path names the report in error messages.
    public func read(contentsOf url: URL) throws(ReportReadError) -> FrameworkJobReport {
        let source = url.path
        guard FileManager.default.fileExists(atPath: source) else { throw .missingFile(source: source) }
        if let size = (try? FileManager.default.attributesOfItem(atPath: source))?[.size] as? Int, size > sizeLimit {
            throw .documentTooLarge(source: source, size: size, limit: sizeLimit)
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadableFile(source: source, reason: String(describing: error))
        }
        return try read(data: data, source: source)
    }

    /// Reads a report held in memory; `source` names it in error messages.
    public func read(data: Data, source: String = "<data>") throws(ReportReadError) -> FrameworkJobReport {
        guard data.count <= sizeLimit else {
            throw .documentTooLarge(source: source, size: data.count, limit: sizeLimit)
        }
        guard data.contains(where: { !Self.isXMLWhitespace($0) }) else { throw .emptyDocument(source: source) }
        if let declaration = Self.firstDeclaration(in: data) {
            throw .forbiddenDeclaration(source: source, line: nil, declaration: declaration)
        }
        let builder = ReportTreeBuilder(source: source)
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        parser.delegate = builder
        _ = parser.parse()  // On Linux this can return true on malformed input: trust the delegate only.
        if let failure = builder.failure { throw failure }
        try builder.checkComplete()
        return try builder.finishedReport()
    }

    /// The first `<!DOCTYPE` or `<!ENTITY` in the bytes, if any (one linear pass; `Data.range(of:)` was
    /// a quarter of the parse time).
    static func firstDeclaration(in data: Data) -> String? {
        let forbidden = ["<!DOCTYPE", "<!ENTITY"].map { Array($0.utf8) }
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            var index = 0
            while index + 1 < bytes.count {
                if bytes[index] == UInt8(ascii: "<") && bytes[index + 1] == UInt8(ascii: "!") {
                    for pattern in forbidden where index + pattern.count <= bytes.count
                        && pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] }) {
                        return String(decoding: pattern, as: UTF8.self)
                    }
                }
                index += 1
            }
            return nil
        }
    }

    private static func isXMLWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

/// The SAX delegate: keeps a stack of open elements, builds a node tree for each top-level child of
/// the root and hands it to `ReportAssembler` when it closes.
final class ReportTreeBuilder: NSObject, XMLParserDelegate {
    /// The report being assembled.
    private var assembler: ReportAssembler
    /// The first error met; parsing stops there.
    private(set) var failure: ReportReadError?
    private let source: String
    /// Names of all open elements, outermost first.
    private var openElements: [String] = []
    /// Nodes being built (only for kept elements at depth ≥ 2).
    private var nodeStack: [ElementNode] = []
    /// Depth below which children are not kept (inside `Branches` or a parameter element), if any.
    private var skipChildrenBelowDepth: Int?
    private var textBuffer = ""
    private var rootSeen = false

    /// Top-level elements whose children matter; any other top-level element only keeps its text.
    private static let structuredElements: Set<String> = [
        "File", "InputFile", "AnalysisFile", "PerformanceReport", "FrameworkError", "SkippedFile",
        "FallbackAttempt", "SkippedEvent", ReportAssembler.wrapperElement,
    ]

    init(source: String) {
        self.source = source
        self.assembler = ReportAssembler(source: source)
    }

    /// The assembled report (valid only when `failure` is nil and `checkComplete()` passed).
    func finishedReport() throws(ReportReadError) -> FrameworkJobReport { try assembler.finishedReport() }

    /// Throws if the document ended early or had no root.
    func checkComplete() throws(ReportReadError) {
        if let open = openElements.last { throw .truncated(source: source, openElement: open) }
        guard rootSeen else { throw .unexpectedRoot(source: source, found: nil) }
    }

    private func fail(_ error: ReportReadError, _ parser: XMLParser) {
        if failure == nil { failure = error }
        parser.abortParsing()
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        guard failure == nil else { return }
        textBuffer = ""
        let depth = openElements.count
        openElements.append(elementName)
        if depth == 0 {
            guard elementName == "FrameworkJobReport" else {
                return fail(.unexpectedRoot(source: source, found: elementName), parser)
            }
            rootSeen = true
            return
        }
        if let limit = skipChildrenBelowDepth, depth >= limit { return }
        let node = ElementNode(name: elementName, attributes: attributeDict, line: parser.lineNumber)
        if depth == 1 {
            if !Self.structuredElements.contains(elementName) { skipChildrenBelowDepth = 2 }
        } else {
            nodeStack.last?.children.append(node)
            if elementName == "Branches" { skipChildrenBelowDepth = depth + 1 }
        }
        nodeStack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        guard failure == nil else { return }
        let depth = openElements.count - 1
        openElements.removeLast()
        defer { textBuffer = "" }
        if depth == 0 { return }
        if let limit = skipChildrenBelowDepth {
            if depth >= limit { return }
            skipChildrenBelowDepth = nil
        }
        guard let node = nodeStack.popLast() else { return }
        node.text = textBuffer.trimmingCharacters(in: .whitespacesAndNewlines)
        if depth == 1 {
            do throws(ReportReadError) { try assembler.add(topLevel: node) } catch { fail(error, parser) }
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { textBuffer += string }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        textBuffer += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        let code = (parseError as NSError).code
        // The code is libxml2's (e.g. 5 when the document ends early); corelibs gives no better text.
        var detail = "libxml2 error \(code)"
        if let open = openElements.last { detail += " inside <\(open)>; expected well-formed content and </\(open)>" }
        fail(.malformedXML(source: source, line: parser.lineNumber, column: parser.columnNumber, detail: detail), parser)
    }

    func parser(_ parser: XMLParser, validationErrorOccurred validationError: Error) {
        self.parser(parser, parseErrorOccurred: validationError)
    }

    func parser(_ parser: XMLParser, foundInternalEntityDeclarationWithName name: String, value: String?) {
        fail(.forbiddenDeclaration(source: source, line: parser.lineNumber, declaration: "entity \(name)"), parser)
    }

    func parser(_ parser: XMLParser, foundExternalEntityDeclarationWithName name: String, publicID: String?,
                systemID: String?) {
        fail(.forbiddenDeclaration(source: source, line: parser.lineNumber, declaration: "entity \(name)"), parser)
    }

    func parser(_ parser: XMLParser, resolveExternalEntityName name: String, systemID: String?) -> Data? {
        fail(.forbiddenDeclaration(source: source, line: parser.lineNumber, declaration: "entity \(name)"), parser)
        return nil
    }
}
