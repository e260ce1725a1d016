/// One site as an agent sees it when pulling work.
public struct AgentSite: Hashable, Sendable {
    /// Site state: only Normal sites count toward resources.
    public var state: SiteState
    /// Free pending slots.
    public var pendingSlots: Int
    /// Jobs already queued at the site with priority at or above the element considered (0 if unknown).
    public var queuedJobs: Int

    /// Makes a site.
    public init(state: SiteState = .normal, pendingSlots: Int, queuedJobs: Int = 0) {
        self.state = state
        self.pendingSlots = pendingSlots
        self.queuedJobs = queuedJobs
    }
}

/// What an agent offers when it pulls work from the global queue.
public struct AgentResources: Hashable, Sendable {
    /// The agent's name.
    public var agent: String
    /// The teams it serves (empty: any team).
    public var teams: [String]
    /// Sites by name.
    public var sites: [String: AgentSite]
    /// QueueDepth: the share of pending slots filled per pull (0.5 in the agent configuration).
    public var queueDepth: Double

    /// Makes the resources.
    public init(agent: String, teams: [String] = [], sites: [String: AgentSite], queueDepth: Double = 0.5) {
        self.agent = agent
        self.teams = teams
        self.sites = sites
        self.queueDepth = queueDepth
    }
}

/// An element an agent may take, and the site it was matched to.
public struct PullMatch: Hashable, Sendable {
    /// The element id.
    public var element: String
    /// The site whose resources it used.
    public var site: String
}

/// Choosing which Available elements an agent may take (the global queue's side of a pull).
public enum PullMatching {
    /// Most elements accepted per pull (agent configuration).
    public static let maxElementsPerPull = 200

    /// The sites an element may run at: (whitelist − blacklist), intersected with the sites of every input, the
    /// parent data (when read) and the pileup, unless site lists are trusted (inputs, parents) or the
    /// `No*Update` flags say so. An empty whitelist means every site of the agent.
    public static func possibleSites(_ element: ElementBody, agentSites: Set<String>) -> Set<String> {
        var sites = (element.siteWhitelist.isEmpty ? agentSites : Set(element.siteWhitelist)).subtracting(element.siteBlacklist)
        if !element.trustSitelists && !element.noInputUpdate {
            for locations in element.inputs.values { sites.formIntersection(locations) }
            if element.parentFlag { for locations in element.parentData.values { sites.formIntersection(locations) } }
        }
        if !element.noPileupUpdate { for locations in element.pileupData.values { sites.formIntersection(locations) } }
        return sites
    }

    /// Why the agent can never take `element` as its sites stand now, in words; nil when it can once a site has
    /// room (or the element waits on purpose: held for a validation sample, not Available).
    ///
    /// The same rules as `match`: the agent's team, the sites the element may run at (`possibleSites`, among the
    /// sites the agent knows), and only Normal sites offering slots.
    public static func blocker(_ element: ElementBody, agent: AgentResources) -> String? {
        guard element.state == .available, !element.heldForValidation else { return nil }
        if !agent.teams.isEmpty && !agent.teams.contains(element.teamName) {
            return "team '\(element.teamName)' is not a team of agent \(agent.agent) (\(agent.teams.joined(separator: ", ")))"
        }
        let known = Set(agent.sites.keys)
        let unknown = Set(element.siteWhitelist).subtracting(known).sorted()
        let possible = possibleSites(element, agentSites: known).intersection(known)
        if possible.isEmpty {
            var why: [String] = []
            if !unknown.isEmpty { why.append("SiteWhitelist names site(s) the agent does not know: \(unknown.joined(separator: ", "))") }
            if !element.siteBlacklist.isEmpty { why.append("SiteBlacklist \(element.siteBlacklist.sorted().joined(separator: ", "))") }
            if !element.trustSitelists && !element.noInputUpdate, !element.inputs.isEmpty {
                let locations = Set(element.inputs.values.flatMap { $0 }).sorted()
                why.append("input at " + (locations.isEmpty ? "no site" : locations.joined(separator: ", ")))
            }
            return "no site it may run at is known to the agent (known: \(known.sorted().joined(separator: ", ")))"
                + (why.isEmpty ? "" : ": " + why.joined(separator: "; "))
        }
        let normal = possible.filter { agent.sites[$0]?.state == .normal }
        if normal.isEmpty {
            return "none of its sites is Normal: " + possible.sorted().map { "\($0) \(agent.sites[$0]!.state.rawValue)" }.joined(separator: ", ")
        }
        if normal.allSatisfy({ agent.sites[$0]!.pendingSlots <= 0 }) {
            return "its Normal site(s) offer no pending slots: " + normal.sorted().joined(separator: ", ")
        }
        return nil
    }

    /// The elements the agent may take, in queue order (priority with aging, then age).
    ///
    /// Nothing is handed out while any element is Negotiating. Only Available elements not held for a validation
    /// sample, of a team the agent serves, are considered. Each Normal site offers `pendingSlots × queueDepth`;
    /// an element is accepted at the first of its possible sites (most room left first, then by name — WorkQueue
    /// shuffles instead) whose queued plus already-accepted jobs are below that, and its `jobs × blowupFactor` are
    /// then counted against the site.
    public static func match(_ elements: [ElementBody], agent: AgentResources, now: Double,
                             agingWeight: Double = QueueOrdering.defaultAgingWeight, blowupFactor: Double = 1.0,
                             maxElements: Int = maxElementsPerPull) -> [PullMatch] {
        guard !elements.contains(where: { $0.state == .negotiating }) else { return [] }
        let normal = agent.sites.filter { $0.value.state == .normal }
        var used = normal.mapValues { Double($0.queuedJobs) }
        let capacity = normal.mapValues { Double($0.pendingSlots) * agent.queueDepth }
        let candidates = elements.filter { e in
            e.state == .available && !e.heldForValidation && (agent.teams.isEmpty || agent.teams.contains(e.teamName))
        }
        var matches: [PullMatch] = []
        for element in QueueOrdering.sorted(candidates, now: now, weight: agingWeight) {
            guard matches.count < maxElements else { break }
            let sites = possibleSites(element, agentSites: Set(normal.keys)).filter { normal[$0] != nil }
            let ordered = sites.sorted { a, b in
                let roomA = capacity[a]! - used[a]!, roomB = capacity[b]! - used[b]!
                return roomA != roomB ? roomA > roomB : a < b
            }
            guard let site = ordered.first(where: { used[$0]! < capacity[$0]! }) else { continue }
            used[site]! += Double(element.jobs) * blowupFactor
            matches.append(PullMatch(element: element.name, site: site))
        }
        return matches
    }
}
