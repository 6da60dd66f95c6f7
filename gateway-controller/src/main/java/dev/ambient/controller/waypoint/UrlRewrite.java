package dev.ambient.controller.waypoint;

/**
 * Gateway API {@code URLRewrite}: the request reaches the backend with the Host and/or path
 * replaced ({@code null} = keep).
 */
public record UrlRewrite(String hostname, PathModifier path) {
  public UrlRewrite {
    if (hostname == null && path == null) {
      throw new IllegalArgumentException("URL rewrite: neither hostname nor path");
    }
  }
}
