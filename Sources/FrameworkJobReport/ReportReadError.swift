/// Why a framework job report could not be read. Any of these means the whole report is refused:
/// the reader never returns a partial report.
public enum ReportReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not exist.
    case missingFile(source: String)
    /// The file exists but could not be read.
    case unreadableFile(source: String, reason: String)
    /// The document is empty.
    case emptyDocument(source: String)
    /// The document is larger than the configured cap.
    case documentTooLarge(source: String, size: Int, limit: Int)
    /// The document declares a DTD or entities, which are refused.
    case forbiddenDeclaration(source: String, line: Int?, declaration: String)
    /// The XML parser reported an error (malformed or truncated XML).
    case malformedXML(source: String, line: Int?, column: Int?, detail: String)
    /// The document ended while `element` was still open.
    case truncated(source: String, openElement: String)
    /// The root element is not `FrameworkJobReport`.
    case unexpectedRoot(source: String, found: String?)
    /// A required child element is missing.
    case missingElement(source: String, line: Int?, parent: String, child: String)
    /// A required attribute is missing.
    case missingAttribute(source: String, line: Int?, element: String, attribute: String)
    /// A field has a value of the wrong form.
    case invalidValue(source: String, line: Int?, field: String, value: String, expected: String)

    /// The code our job wrapper reports for an unreadable report (WMCore 50115).
    public var wrapperExitCode: Int { ExitCodes.unreadableReport }

    /// The code the JobAccountant gives the job: 99999 missing, 99998 empty, 99997 unloadable.
    public var accountantExitCode: Int {
        switch self {
        case .missingFile: return ExitCodes.accountantMissingReport
        case .emptyDocument: return ExitCodes.accountantEmptyReport
        default: return ExitCodes.accountantUnloadableReport
        }
    }

    /// A message naming the file, the line when known, and what was expected.
    public var description: String {
        switch self {
        case .missingFile(let source):
            return "\(source): no such framework job report"
        case .unreadableFile(let source, let reason):
            return "\(source): cannot read framework job report: \(reason)"
        case .emptyDocument(let source):
            return "\(source): framework job report is empty; expected a <FrameworkJobReport> document"
        case .documentTooLarge(let source, let size, let limit):
            return "\(source): framework job report is \(size) bytes; expected at most \(limit) bytes"
        case .forbiddenDeclaration(let source, let line, let declaration):
            return "\(source)\(Self.at(line)): \(declaration) is not allowed in a framework job report; expected plain XML without a DTD or entities"
        case .malformedXML(let source, let line, let column, let detail):
            let where_ = line.map { ":\($0)" + (column.map { ":\($0)" } ?? "") } ?? ""
            return "\(source)\(where_): malformed XML: \(detail)"
        case .truncated(let source, let openElement):
            return "\(source): document ends inside <\(openElement)>; expected its closing tag (truncated report?)"
        case .unexpectedRoot(let source, let found):
            return "\(source): root element is \(found.map { "<\($0)>" } ?? "missing"); expected <FrameworkJobReport>"
        case .missingElement(let source, let line, let parent, let child):
            return "\(source)\(Self.at(line)): <\(parent)> has no <\(child)>; expected one"
        case .missingAttribute(let source, let line, let element, let attribute):
            return "\(source)\(Self.at(line)): <\(element)> has no \(attribute) attribute; expected one"
        case .invalidValue(let source, let line, let field, let value, let expected):
            return "\(source)\(Self.at(line)): \(field) is \"\(value)\"; expected \(expected)"
        }
    }

    private static func at(_ line: Int?) -> String { line.map { ":\($0)" } ?? "" }
}
