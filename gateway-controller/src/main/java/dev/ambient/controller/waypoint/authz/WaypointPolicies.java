package dev.ambient.controller.waypoint.authz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The L7 policies of one waypoint: those that apply to all its traffic (targeting its Gateway, or
 * GatewayClass {@code istio-waypoint} from the root namespace) and those per service it serves
 * (targeting the Service), plus what was wrong with the input.
 *
 * @param byService service resource name ({@code <namespace>/<hostname>}) to its policies
 * @param problems invalid policies and fields (each replaced by its fail-closed form or left out,
 *     as the message says)
 * @param notes policies or parts not enforced here, by Istio's rules
 */
public record WaypointPolicies(
    List<L7Policy> waypoint,
    Map<String, List<L7Policy>> byService,
    List<String> problems,
    List<String> notes) {
  public static final WaypointPolicies NONE =
      new WaypointPolicies(List.of(), Map.of(), List.of(), List.of());

  public WaypointPolicies {
    waypoint = List.copyOf(waypoint);
    Map<String, List<L7Policy>> copy = new TreeMap<>();
    byService.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    byService = Map.copyOf(copy);
    problems = List.copyOf(problems);
    notes = List.copyOf(notes);
  }

  /** Every policy that applies to traffic for a service through this waypoint. */
  public List<L7Policy> forService(String serviceResourceName) {
    List<L7Policy> out = new ArrayList<>(waypoint);
    out.addAll(byService.getOrDefault(serviceResourceName, List.of()));
    return out;
  }
}
