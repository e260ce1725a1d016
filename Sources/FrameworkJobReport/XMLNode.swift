/// A minimal element tree for one top-level child of `FrameworkJobReport`, built by `ReportTreeBuilder`.
///
/// Like WMCore's `ParseXMLFile.Node`: `text` is the character data after the element's last child
/// start/end event, stripped; whitespace between elements never becomes a node.
final class ElementNode {
    /// Element name.
    let name: String
    /// Attributes.
    let attributes: [String: String]
    /// Line of the element's `<`, if known.
    let line: Int?
    /// Stripped text (set when the element ends).
    var text = ""
    /// Child elements, in order.
    var children: [ElementNode] = []

    init(name: String, attributes: [String: String], line: Int?) {
        self.name = name; self.attributes = attributes; self.line = line
    }

    /// The first child named `name`.
    func child(_ name: String) -> ElementNode? { children.first { $0.name == name } }

    /// Children named `name`.
    func children(named name: String) -> [ElementNode] { children.filter { $0.name == name } }
}
