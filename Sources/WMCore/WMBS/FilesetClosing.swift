/// WMBS's fileset-closing rule (§9 of the 2012 paper; WMCore's `WMBSHelper`/`Fileset.markOpen(False)` as the
/// feeders and the task archiver apply it), pure: which open filesets of an injected workflow close now.
public enum FilesetClosing {
    /// The filesets that close, closed, in the order they close. An open fileset with producers closes when its
    /// parent fileset (a merge's unmerged input, say) is closed or absent and every producing subscription is
    /// idle (`isIdle`, asked once per producer at most); a close can let a child close in the same pass.
    public static func closing(_ filesets: [Fileset], isIdle: (String) throws -> Bool) rethrows -> [Fileset] {
        var byName = Dictionary(filesets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var idle: [String: Bool] = [:]
        func producerIsIdle(_ subscription: String) throws -> Bool {
            if let known = idle[subscription] { return known }
            let answer = try isIdle(subscription)
            idle[subscription] = answer
            return answer
        }
        var closed: [Fileset] = []
        var changed = true
        while changed {
            changed = false
            for (name, fileset) in byName.sorted(by: { $0.key < $1.key }) where fileset.open && !fileset.producers.isEmpty {
                if let parent = fileset.parent, byName[parent]?.open ?? false { continue }
                guard try fileset.producers.allSatisfy(producerIsIdle) else { continue }
                var updated = fileset
                updated.open = false
                byName[name] = updated
                closed.append(updated)
                changed = true
            }
        }
        return closed
    }
}
