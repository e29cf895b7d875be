"""networkx: graph algorithms: shortest paths, PageRank (scipy), spanning trees, isomorphism."""
# dists: networkx
import networkx as nx

g = nx.karate_club_graph()
print("nodes/edges:", g.number_of_nodes(), g.number_of_edges())
print("shortest 0->33:", nx.shortest_path_length(g, 0, 33))
pr = nx.pagerank(g, alpha=0.85)
print("top pagerank:", sorted(pr, key=lambda n: (-round(pr[n], 9), n))[:5])
w = nx.Graph()
w.add_weighted_edges_from([(1, 2, 3), (2, 3, 1), (1, 3, 5), (3, 4, 2), (4, 1, 4)])
print("mst:", sorted(tuple(sorted(e)) for e in nx.minimum_spanning_edges(w, data=False)))
print("dijkstra:", nx.dijkstra_path(w, 1, 4))
print("isomorphic:", nx.is_isomorphic(nx.cycle_graph(5), nx.relabel_nodes(nx.cycle_graph(5), {0: 9})))
print("clustering:", round(nx.average_clustering(g), 6))
d = nx.DiGraph([(1, 2), (2, 3), (1, 3), (3, 4)])
print("topo:", list(nx.topological_sort(d)), "dag:", nx.is_directed_acyclic_graph(d))
print("communities:", [sorted(c) for c in sorted(nx.community.greedy_modularity_communities(g), key=min)][:2])
