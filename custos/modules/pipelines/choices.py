from django.db import models


class Material(models.TextChoices):
    STEEL = "steel", "Steel"
    PLASTIC = "plastic", "Plastic"
    CONCRETE = "concrete", "Concrete"
    COMPOSITE = "composite", "Composite"


class PipelineStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    MAINTENANCE = "maintenance", "Maintenance"
    INACTIVE = "inactive", "Inactive"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Terrain(models.TextChoices):
    URBAN = "urban", "Urban"
    RURAL = "rural", "Rural"
    FOREST = "forest", "Forest"
    WATER = "water", "Water"
    MOUNTAIN = "mountain", "Mountain"
    DESERT = "desert", "Desert"


class ProcessingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class AnalysisType(models.TextChoices):
    LEAK_DETECTION = "leak_detection", "Leak Detection"
    VEGETATION_ENCROACHMENT = "vegetation_encroachment", "Vegetation Encroachment"
    GROUND_SUBSIDENCE = "ground_subsidence", "Ground Subsidence"
    CONSTRUCTION_ACTIVITY = "construction_activity", "Construction Activity"
    EQUIPMENT_DAMAGE = "equipment_damage", "Equipment Damage"
    CORROSION_DETECTION = "corrosion_detection", "Corrosion Detection"
    THERMAL_ANOMALY = "thermal_anomaly", "Thermal Anomaly"
    WEATHER_DAMAGE = "weather_damage", "Weather Damage"


class ResultStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VERIFIED = "verified", "Verified"
    FALSE_POSITIVE = "false_positive", "False positive"
    ALERT_CREATED = "alert_created", "Alert created"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


class AlertType(models.TextChoices):
    LEAK_DETECTED = "leak_detected", "Leak detected"
    VEGETATION_ENCROACHMENT = "vegetation_encroachment", "Vegetation encroachment"
    GROUND_SUBSIDENCE = "ground_subsidence", "Ground subsidence"
    CONSTRUCTION_ACTIVITY = "construction_activity", "Construction activity"
    EQUIPMENT_DAMAGE = "equipment_damage", "Equipment damage"
    CORROSION_DETECTED = "corrosion_detected", "Corrosion detected"
    THERMAL_ANOMALY = "thermal_anomaly", "Thermal anomaly"
    SYSTEM_ERROR = "system_error", "System error"
    MAINTENANCE_REQUIRED = "maintenance_required", "Maintenance required"


# The alert raised for each analysis type.
ALERT_FOR_ANALYSIS: dict[str, str] = {
    AnalysisType.LEAK_DETECTION: AlertType.LEAK_DETECTED,
    AnalysisType.VEGETATION_ENCROACHMENT: AlertType.VEGETATION_ENCROACHMENT,
    AnalysisType.GROUND_SUBSIDENCE: AlertType.GROUND_SUBSIDENCE,
    AnalysisType.CONSTRUCTION_ACTIVITY: AlertType.CONSTRUCTION_ACTIVITY,
    AnalysisType.EQUIPMENT_DAMAGE: AlertType.EQUIPMENT_DAMAGE,
    AnalysisType.CORROSION_DETECTION: AlertType.CORROSION_DETECTED,
    AnalysisType.THERMAL_ANOMALY: AlertType.THERMAL_ANOMALY,
    AnalysisType.WEATHER_DAMAGE: AlertType.MAINTENANCE_REQUIRED,
}
