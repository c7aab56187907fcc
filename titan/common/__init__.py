"""Small pieces shared by several blueprints."""
