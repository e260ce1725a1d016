// The FrameworkJobReport module; see Package.swift for its role.
