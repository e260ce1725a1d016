// The EventFiles module; see Package.swift for its role.
