import Foundation

/// The consumer of a report's XML events: checks the root is `FrameworkJobReport`, builds an
/// `ElementNode` tree for each top-level child of the root and hands it to `ReportAssembler` when it closes.
///
/// Children of `Branches` and of top-level elements the assembler treats as plain parameters are not
/// kept (nor is their text), as WMCore ignores them.
struct ReportTreeBuilder: XMLEventConsumer {
    /// The report being assembled.
    private var assembler: ReportAssembler
    private let source: String
    /// How many elements are open (the root counts as one).
    private var openCount = 0
    /// Nodes being built (only for kept elements at depth ≥ 1 below the root).
    private var nodeStack: [ElementNode] = []
    /// Depth from which elements are not kept (inside `Branches` or a parameter element), if any.
    private var skipChildrenBelowDepth: Int?

    /// Top-level elements whose children matter; any other top-level element only keeps its text.
    private static let structuredElements: Set<String> = [
        "File", "InputFile", "AnalysisFile", "PerformanceReport", "FrameworkError", "SkippedFile",
        "FallbackAttempt", "SkippedEvent", ReportAssembler.wrapperElement, ReportAssembler.stepSectionElement,
    ]

    /// A builder for the report named `source` in errors.
    init(source: String) {
        self.source = source
        self.assembler = ReportAssembler(source: source)
    }

    /// The assembled report; call once the document's last element has ended.
    func finishedReport() throws(ReportReadError) -> FrameworkJobReport { try assembler.finishedReport() }

    /// Opens an element: the root must be `FrameworkJobReport`; kept elements get a node.
    mutating func startElement(name: String, attributes: [String: String], line: Int) throws(ReportReadError) {
        let depth = openCount
        openCount += 1
        if depth == 0 {
            guard name == "FrameworkJobReport" else { throw .unexpectedRoot(source: source, found: name) }
            return
        }
        if let limit = skipChildrenBelowDepth, depth >= limit { return }
        let node = ElementNode(name: name, attributes: attributes, line: line)
        // A step section's children (depth 2) are read as the root's are (depth 1); a section holds no section.
        let sectionChild = depth == 2 && nodeStack.first?.name == ReportAssembler.stepSectionElement
        if sectionChild && name == ReportAssembler.stepSectionElement {
            throw .invalidValue(source: source, line: line, field: "FrameworkJobReport", value: "a step section inside a step section",
                                expected: "step sections only directly inside the root")
        }
        if depth == 1 || sectionChild {
            if !Self.structuredElements.contains(name) { skipChildrenBelowDepth = depth + 1 }
            if sectionChild { nodeStack.last?.children.append(node) }
        } else {
            nodeStack.last?.children.append(node)
            if name == "Branches" { skipChildrenBelowDepth = depth + 1 }
        }
        nodeStack.append(node)
    }

    /// True when an element starting now would get a node (it is neither the root nor skipped).
    var collectsAttributes: Bool {
        let depth = openCount
        return depth >= 1 && skipChildrenBelowDepth.map { depth < $0 } ?? true
    }

    /// True when the innermost open element has a node (it is neither the root nor skipped).
    var collectsText: Bool {
        let depth = openCount - 1
        return depth >= 1 && skipChildrenBelowDepth.map { depth < $0 } ?? true
    }

    /// Closes the innermost element: its node gets the stripped text, and a finished top-level node
    /// goes to the assembler.
    mutating func endElement(text: String) throws(ReportReadError) {
        let depth = openCount - 1
        openCount = depth
        if depth == 0 { return }
        if let limit = skipChildrenBelowDepth {
            if depth >= limit { return }
            skipChildrenBelowDepth = nil
        }
        guard let node = nodeStack.popLast() else { return }
        node.text = Trimming.trimmed(text, .whitespacesAndNewlines)
        if depth == 1 { try assembler.add(topLevel: node) }
    }
}
